/**
 * The hardware facts a Scenario carries (`p2p`, each device's `pasidAcsPath`), derived from a
 * topology with the hardware model instead of written by hand:
 *  - p2p: peerReach (src/hardware/reachability.ts) — a memory request from a to b's BAR lands
 *    on the BAR without passing the IOMMU. Probed plain and PASID-tagged; the pair is listed
 *    when either bypasses (routing ignores the PASID prefix, so the two agree in this model).
 *  - untrusted: pdev->untrusted of the topology (set_pcie_untrusted: below an external-facing
 *    root port, or marked in the topology file); a scenario may also set it by hand.
 *  - pasidAcsPath: pciEnablePasid (pci_enable_pasid, drivers/pci/ats.c) would succeed on the
 *    device with nothing enabled yet. It fails for a device without a PASID capability too.
 *  - unmapWindow (only when the scenario says `invalidation`): findUnmapWindow
 *    (src/hardware/iotlbWindow.ts) from each device — whether its DMA after dma_unmap can reach
 *    the freed page through a stale IOTLB entry under strict or lazy invalidation.
 *  - sameGroup: deriveGroups (pci_device_group) puts every named device in one group. The
 *    ownership model models ONE group, so a scenario whose devices the kernel splits is
 *    modelling a grouping mainline does not build (or one it builds unsoundly, I13).
 *
 * Devices are named by the topology's device name or by bdf (findDevice). Built-in scenarios
 * name their devices by the topology's bdfs, so traces and routes use one name per device.
 */
import type { Topology } from '../hardware/index.ts';
import { BRIDGE_KINDS, findDevice, findUnmapWindow, getBuiltinTopology, groupingBy, peerReach, pciEnablePasid, ridsIntoOtherGroups, type GroupingRule } from '../hardware/index.ts';
import type { ForeignRid, OutsidePeer, Scenario } from '../machines/scenario.ts';

/** What the topology says about the scenario's devices (indices as in `deviceNames`). */
export interface ScenarioFacts {
  /** Ordered pairs [a, b]: a's plain or PASID memory request to b's BAR bypasses the IOMMU. */
  readonly p2p: [number, number][];
  /** Per device: pci_enable_pasid would succeed. */
  readonly pasidAcsPath: boolean[];
  /** Per device: pdev->untrusted (set_pcie_untrusted: below an external-facing root port, or marked in the file). */
  readonly untrusted: boolean[];
  /** Every named device is in one derived IOMMU group. */
  readonly sameGroup: boolean;
  /** Per named device, the index of its derived group among `groups` (first appearance order). */
  readonly groupIndex: number[];
  /** The derived groups of the named devices, in first appearance order: name (group id) and why. */
  readonly groups: { name: string; why: string }[];
  /** Requester IDs of other groups each named device can emit. */
  readonly foreignRids: ForeignRid[];
  /** The grouping assumption the groups depend on, or null. */
  readonly assumption: string | null;
  /**
   * The topology's other DMA-capable functions with a memory BAR that some named device reaches
   * peer-to-peer (plain or PASID-tagged) without the IOMMU, in bdf order.
   */
  readonly outsidePeers: OutsidePeer[];
  /** The hops of the DMA write from device a to device b's first BAR, one line per hop. */
  route(a: number, b: number, pasid: boolean): string[];
}

/** PASID used for PASID-tagged probes (any non-zero value routes the same way). */
export const PROBE_PASID = 1;

/** Resolves names to devices of the topology; throws for an unknown name or a bridge. */
function resolve(topology: Topology, deviceNames: readonly string[]) {
  const seen = new Map<string, number>();
  return deviceNames.map((n, i) => {
    const d = findDevice(topology, n);
    if (!d) throw new Error(`device ${i} (${n}) is not a device of topology ${topology.name} (name or bdf)`);
    const twice = seen.get(d.bdf);
    if (twice !== undefined) throw new Error(`device ${i} (${n}) is ${d.bdf}, which device ${twice} names already: each device of the topology once`);
    seen.set(d.bdf, i);
    if (BRIDGE_KINDS.includes(d.kind)) throw new Error(`device ${i} (${n}) is ${d.bdf}, a ${d.kind.replace(/_/g, ' ')} of topology ${topology.name}: bridges and ports do not master DMA in the hardware model`);
    return d;
  });
}

/** Derives p2p pairs, the PASID gate per device, and whether the devices share one group. */
export function scenarioFactsFromTopology(topology: Topology, deviceNames: readonly string[], rule: GroupingRule = 'mainline'): ScenarioFacts {
  const devs = resolve(topology, deviceNames);
  const reaches = (a: { bdf: string }, b: { bdf: string }) =>
    peerReach(topology, a.bdf, b.bdf).bypassesIommu || peerReach(topology, a.bdf, b.bdf, { pasid: PROBE_PASID }).bypassesIommu;
  const p2p: [number, number][] = [];
  devs.forEach((a, i) =>
    devs.forEach((b, j) => {
      if (i === j) return;
      if (reaches(a, b)) p2p.push([i, j]);
    }),
  );
  const named = new Set(devs.map((d) => d.bdf));
  const outsidePeers = topology.devices
    .filter((o) => !named.has(o.bdf) && !BRIDGE_KINDS.includes(o.kind) && o.bars.length > 0)
    .map((o) => ({ name: o.name, reachedFrom: devs.flatMap((d, i) => (reaches(d, o) ? [i] : [])) }))
    .filter((o) => o.reachedFrom.length > 0);
  const pasidAcsPath = devs.map((d) => pciEnablePasid(topology, [], d.bdf).ok);
  const grouping = groupingBy(topology, rule);
  const ids: number[] = [];
  const groupIndex = devs.map((d) => {
    const id = grouping.groupOf[d.bdf]!;
    if (!ids.includes(id)) ids.push(id);
    return ids.indexOf(id);
  });
  const groups = ids.map((id, k) => ({ name: String(id), why: grouping.why[devs[groupIndex.indexOf(k)]!.bdf] ?? '' }));
  const slotOf = (bdf: string) => devs.findIndex((d) => d.bdf === bdf);
  const foreignRids: ForeignRid[] = devs.flatMap((d, from) =>
    ridsIntoOtherGroups(topology, grouping, d.bdf).map((c) => {
      const ownerBdf = findDevice(topology, c.owner)?.bdf ?? c.owner;
      const slot = slotOf(ownerBdf);
      const gid = grouping.groupOf[ownerBdf];
      const g = gid === undefined ? -1 : ids.indexOf(gid);
      return { from, rid: c.rid, how: c.how, note: c.note, owner: ownerBdf, device: slot >= 0 ? slot : null, group: g >= 0 ? g : null, ownerGroup: gid === undefined ? '?' : String(gid) };
    }),
  );
  // Per device: IDs of the scenario's own devices first, then of its groups, then of groups outside it.
  const rank = (f: ForeignRid) => (f.device !== null ? 0 : f.group !== null ? 1 : 2);
  foreignRids.sort((x, y) => x.from - y.from || rank(x) - rank(y));
  return {
    foreignRids,
    assumption: grouping.assumption,
    p2p,
    pasidAcsPath,
    untrusted: devs.map((d) => d.untrusted),
    sameGroup: ids.length <= 1,
    groupIndex,
    groups,
    outsidePeers,
    route(a: number, b: number, pasid: boolean): string[] {
      const from = devs[a];
      const to = devs[b];
      if (!from || !to) throw new Error(`route(${a}, ${b}): device index out of range (0..${devs.length - 1})`);
      const r = peerReach(topology, from.bdf, to.bdf, pasid ? { pasid: PROBE_PASID } : {});
      return r.route.length ? r.route.map((h) => `${h.at} ${h.action}: ${h.note}`) : [r.reason];
    },
  };
}

/**
 * Returns the scenario with `p2p` and each device's `pasidAcsPath` replaced by the facts
 * derived from `topology`, and `topology` set to its name. `deviceMap` gives the topology device
 * (name or bdf) of each scenario device; it defaults to the scenario's device names.
 */
export function applyTopology(scenario: Scenario, topology: Topology, deviceMap: readonly string[] = scenario.devices.map((d) => d.name)): Scenario {
  if (deviceMap.length !== scenario.devices.length) {
    throw new Error(`scenario ${scenario.name}: device map has ${deviceMap.length} entries for ${scenario.devices.length} devices`);
  }
  const rule = (scenario.grouping ?? 'mainline') as GroupingRule;
  const facts = scenarioFactsFromTopology(topology, deviceMap, rule);
  const mode = scenario.invalidation;
  return {
    ...scenario,
    groups: facts.groups,
    grouping: rule,
    ...(facts.foreignRids.length ? { foreignRids: facts.foreignRids } : {}),
    ...(facts.assumption ? { groupingAssumption: facts.assumption } : {}),
    hardware: { topology, deviceMap },
    // untrusted: the topology's (set_pcie_untrusted) or the scenario's own flag (a device treated as if below an external-facing port).
    devices: scenario.devices.map((d, i) => ({ ...d, pasidAcsPath: facts.pasidAcsPath[i]!, group: facts.groupIndex[i]!, ...(facts.untrusted[i] ? { untrusted: true } : {}) })),
    p2p: facts.p2p,
    ...(facts.outsidePeers.length ? { outsidePeers: facts.outsidePeers } : {}),
    topology: topology.name,
    ...(mode ? { unmapWindow: deviceMap.map((requester) => findUnmapWindow(mode, 6, { topology, requester }).trace).map((t) => (t.length ? t : null)) } : {}),
  };
}

/**
 * For a scenario that names a built-in topology: the topology and the device map (the scenario's
 * device names, each a name or bdf of the topology). Null when the scenario names no topology or
 * one that is not built in.
 */
export function builtinScenarioTopology(scenario: Scenario): { topology: Topology; deviceMap: readonly string[] } | null {
  if (scenario.hardware) return scenario.hardware;
  if (scenario.topology === null) return null;
  const topology = getBuiltinTopology(scenario.topology);
  return topology ? { topology, deviceMap: scenario.devices.map((d) => d.name) } : null;
}
