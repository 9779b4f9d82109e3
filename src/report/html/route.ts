/**
 * The DMA route of a hardware violation as data, for drawing on the topology tree: the same
 * write the text report's route line describes (formatTrace.ts pasidRoute: I12 the SVA-bound
 * device's PASID-tagged write, P2P the user-accessible device's plain write, both to the peer's
 * BAR; RID the write carrying another group's requester ID), hop by hop from the hardware model.
 */
import type { Violation } from '../../engine/types.ts';
import { getDevice, peerReach, routeMemoryRequest, type Hop, type RouteOutcome, type Topology } from '../../hardware/index.ts';
import type { Model } from '../../machines/model.ts';
import { builtinScenarioTopology } from '../../scenarios/fromTopology.ts';
import { pasidRoute, routeEnds } from '../formatTrace.ts';

export interface ViolationRoute {
  topology: Topology;
  /** The hops, as routeMemoryRequest gives them (`at` a bdf, or `iommu`). */
  hops: readonly Hop[];
  outcome: RouteOutcome | null;
  /** The bdf of the device that issues the write, and of the device it is meant for (null: system memory). */
  from: string;
  to: string | null;
  /** RID: the requester ID the write carries when it is another function's (the device it passes for). */
  rid: string | null;
  /** The text report's route line(s), word for word. */
  text: string;
}

/** PASID and system-memory address of the probes, as in dmaRoute.ts. */
const ROUTE_PASID = 1;
const SYSTEM_MEMORY = 0x1000;

/** The write from device `a` to device or outside peer `b` (names or bdfs), PASID-tagged when `pasid`. */
function peerRoute(topology: Topology, a: string, b: string, pasid: boolean, text: string): ViolationRoute {
  const from = getDevice(topology, a).bdf;
  const to = getDevice(topology, b).bdf;
  const r = peerReach(topology, from, to, pasid ? { pasid: ROUTE_PASID } : {});
  return { topology, hops: r.route, outcome: r.outcome, from, to, rid: null, text };
}

/** The route of the write behind `v` (I12, P2P or RID on a scenario with a topology), or null. */
export function violationRoute(v: Violation, model: Model): ViolationRoute | null {
  const text = pasidRoute(v, model);
  const e = routeEnds(v, model);
  const bt = builtinScenarioTopology(model.scenario);
  if (!text || !e || !bt) return null;
  const { topology } = bt;
  if (e.kind === 'rid') {
    const from = getDevice(topology, e.from).bdf;
    const r = routeMemoryRequest(topology, { requester: from, address: SYSTEM_MEMORY, requesterId: e.rid });
    return { topology, hops: r.hops, outcome: r.outcome, from, to: null, rid: e.rid, text };
  }
  return peerRoute(topology, e.from, e.to, e.pasid, text);
}
