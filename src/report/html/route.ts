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
import { faultyAccess, pasidRoute, routeEnds } from '../formatTrace.ts';

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

/**
 * The route of the write behind `v` (I12, P2P or RID on a scenario with a topology; or the DMA
 * access of the last step, as for STALE, to the IOMMU), or null.
 */
export function violationRoute(v: Violation, model: Model): ViolationRoute | null {
  const access = faultyAccess(v, model);
  const hw = builtinScenarioTopology(model.scenario);
  if (access?.route && access.hops.length && hw && !routeEnds(v, model)) {
    const from = access.hops[0]!.at;
    const outcome: RouteOutcome = { kind: 'iommu', rid: from, address: SYSTEM_MEMORY, translated: access.via === 'atc' || access.via === 'forged', pasid: null };
    return { topology: hw.topology, hops: access.hops, outcome: access.via === 'blocked' || access.via === 'peer' ? null : outcome, from, to: null, rid: null, text: `${access.text}\n${access.route}` };
  }
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
