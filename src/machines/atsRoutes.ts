/**
 * Routes of ATS-translated requests (Address Type "translated") through the scenario's PCIe
 * fabric, from the hardware model (src/hardware/routeMemoryRequest.ts): ACS Translation Blocking
 * at a port blocks them, ACS RR without DT redirects a peer-bound one to the root complex, a
 * port without RR (or with RR and DT) delivers it to the peer's BAR. The TB bits are the ones
 * the topology's ACS Control has plus those pci_std_enable_acs set (AtsState.tbPorts).
 *
 * Routes are static for a topology and a set of TB ports, so each is computed once and cached.
 * Simplification: a translated request to memory uses a host address no BAR or window holds.
 */
import { ACS, BRIDGE_KINDS, findDevice, routeMemoryRequest, type RouteResult, type Topology } from '../hardware/index.ts';
import type { Scenario } from './scenario.ts';

/** A translated request's host address for system memory (outside every BAR and bridge window of the built-in topologies). */
const MEMORY_ADDRESS = 0x1000;

/** A translated request's target: system memory through the root complex, or a peer's BAR (by bdf). */
export type TranslatedTarget = { readonly kind: 'memory' } | { readonly kind: 'peer'; readonly peer: string };

const withTb = new WeakMap<Topology, Map<string, Topology>>();
const routes = new WeakMap<Topology, Map<string, RouteResult>>();

/** `topology` with ACS TB set in the control register of the ports `tbPorts` (where their capability has it). */
function topologyWithTb(topology: Topology, tbPorts: readonly string[]): Topology {
  if (tbPorts.length === 0) return topology;
  let byKey = withTb.get(topology);
  if (!byKey) withTb.set(topology, (byKey = new Map()));
  const key = tbPorts.join(',');
  let t = byKey.get(key);
  if (!t) {
    const devices = topology.devices.map((d) => (tbPorts.includes(d.bdf) && d.acs !== null && d.acs !== 'unknown' ? { ...d, acs: { cap: d.acs.cap, ctrl: d.acs.ctrl | (d.acs.cap & ACS.TB) } } : d));
    t = { ...topology, devices };
    byKey.set(key, t);
  }
  return t;
}

/**
 * The route of a translated request from device slot `dev` to `target`, or null when the
 * scenario has no topology (the request then goes straight to the IOMMU).
 */
export function translatedRoute(scenario: Scenario, dev: number, target: TranslatedTarget, tbPorts: readonly string[]): RouteResult | null {
  const hw = scenario.hardware;
  if (!hw) return null;
  const topology = topologyWithTb(hw.topology, tbPorts);
  const requester = findDevice(hw.topology, hw.deviceMap[dev]!)!.bdf;
  let cache = routes.get(topology);
  if (!cache) routes.set(topology, (cache = new Map()));
  const key = `${requester}>${target.kind === 'memory' ? '' : target.peer}`;
  let r = cache.get(key);
  if (!r) {
    const address = target.kind === 'memory' ? MEMORY_ADDRESS : findDevice(topology, target.peer)!.bars[0]!.start;
    r = routeMemoryRequest(topology, { requester, address, translated: true });
    cache.set(key, r);
  }
  return r;
}

/** The functions of the scenario's topology with a memory BAR, other than dev's (peers a translated request may name), by bdf. */
export function translatedPeers(scenario: Scenario, dev: number): readonly string[] {
  const hw = scenario.hardware;
  if (!hw) return [];
  const self = findDevice(hw.topology, hw.deviceMap[dev]!)?.bdf;
  return hw.topology.devices.filter((d) => d.bdf !== self && !BRIDGE_KINDS.includes(d.kind) && d.bars.length > 0).map((d) => d.bdf);
}

/**
 * The ports pci_std_enable_acs runs on for the scenario's ATS story: the bridge directly above
 * each device of group `g`, with whether it gets Translation Blocking as an external-facing port
 * (pdev->external_facing or ->untrusted in the topology, or the port above an untrusted device:
 * set_pcie_untrusted marks what sits below an external-facing port).
 */
export function acsPortsOf(scenario: Scenario, g: number): { port: string; external_facing: boolean }[] {
  const hw = scenario.hardware;
  if (!hw) return [];
  const out = new Map<string, boolean>();
  scenario.devices.forEach((d, i) => {
    if ((d.group ?? 0) !== g) return;
    const dev = findDevice(hw.topology, hw.deviceMap[i]!);
    const parent = dev ? hw.topology.devices.find((p) => BRIDGE_KINDS.includes(p.kind) && p.secondary === busOfBdf(dev.bdf)) : undefined;
    // pci_std_enable_acs: TB when the port is external-facing or untrusted itself; the model also treats the port above an untrusted device as external-facing.
    if (parent) out.set(parent.bdf, (out.get(parent.bdf) ?? false) || d.untrusted === true || parent.externalFacing === true || parent.untrusted);
  });
  return [...out].sort(([a], [b]) => (a < b ? -1 : 1)).map(([port, external_facing]) => ({ port, external_facing }));
}

const busOfBdf = (bdf: string): number => parseInt(bdf.split(':')[0]!, 16);
