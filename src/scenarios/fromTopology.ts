/**
 * The hardware facts a Scenario carries (`p2p`, each device's `pasidAcsPath`), derived from a
 * topology with the hardware model instead of written by hand:
 *  - p2p: peerReach (src/hardware/reachability.ts) — a memory request from a to b's BAR lands
 *    on the BAR without passing the IOMMU. Probed plain and PASID-tagged; the pair is listed
 *    when either bypasses (routing ignores the PASID prefix, so the two agree in this model).
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
 * whose device names are not those of their topology use BUILTIN_SCENARIO_DEVICE_MAP.
 */
import type { Topology } from '../hardware/index.ts';
import { BRIDGE_KINDS, deriveGroups, findDevice, findUnmapWindow, getBuiltinTopology, peerReach, pciEnablePasid } from '../hardware/index.ts';
import type { Scenario } from '../machines/scenario.ts';

/** What the topology says about the scenario's devices (indices as in `deviceNames`). */
export interface ScenarioFacts {
  /** Ordered pairs [a, b]: a's plain or PASID memory request to b's BAR bypasses the IOMMU. */
  readonly p2p: [number, number][];
  /** Per device: pci_enable_pasid would succeed. */
  readonly pasidAcsPath: boolean[];
  /** Every named device is in one derived IOMMU group. */
  readonly sameGroup: boolean;
  /** The hops of the DMA write from device a to device b's first BAR, one line per hop. */
  route(a: number, b: number, pasid: boolean): string[];
}

/** PASID used for PASID-tagged probes (any non-zero value routes the same way). */
export const PROBE_PASID = 1;

/**
 * Scenario device index → topology device (name or bdf), for built-in scenarios whose device
 * names (e.g. `02:00.0`) are not devices of their topology. Chosen so that each scenario slot
 * maps to a DMA-capable function of the topology in the same role:
 *  - switch topologies (`switch-no-acs`, `switch-acs`, `sva-switch*`): slot 0 → the endpoint
 *    below the first downstream port (03:00.0), slot 1 → the one below the second (04:00.0).
 *    Note `01:00.0` is the switch upstream port there, so name matching would be wrong.
 *  - `multifunction-no-acs`: slot i → function i of the dual NIC (01:00.i).
 * `sva-driverless-peer` names `sva-endpoint-beside-peer`, which is not a built-in topology;
 * the map gives the devices of `sva-switch` (the SVA accelerator beside a peer NVMe below a
 * switch without ACS), which BUILTIN_SCENARIO_TOPOLOGY_FALLBACK names.
 */
export const BUILTIN_SCENARIO_DEVICE_MAP: Readonly<Record<string, readonly string[]>> = {
  'vfio-vs-dma-api': ['dual-nic.0', 'dual-nic.1'],
  'iommufd-two-contexts': ['dual-nic.0', 'dual-nic.1'],
  'hot-add-owned-group': ['dual-nic.0', 'dual-nic.1'],
  'pci-stub-neighbour': ['dual-nic.0', 'dual-nic.1'],
  'private-domain-hot-add': ['dual-nic.0', 'dual-nic.1'],
  'sva-peer-hot-add': ['accel.0', 'accel.1'],
  'sva-driverless-peer': ['accel.0', 'accel.1'],
  'sva-acs-switch': ['sva-accel'],
  'probe-failure': ['dual-nic.0', 'dual-nic.1'],
  'kernel-attach-group-shared': ['dual-nic.0', 'dual-nic.1'],
  'dma-api-unmap-strict': ['nic-a'],
  'dma-api-unmap-lazy': ['nic-a'],
};

/** Built-in scenarios whose `topology` is not a built-in topology name → the one used instead. */
export const BUILTIN_SCENARIO_TOPOLOGY_FALLBACK: Readonly<Record<string, string>> = {};

/** Resolves names to devices of the topology; throws for an unknown name or a bridge. */
function resolve(topology: Topology, deviceNames: readonly string[]) {
  return deviceNames.map((n, i) => {
    const d = findDevice(topology, n);
    if (!d) throw new Error(`device ${i} (${n}) is not a device of topology ${topology.name} (name or bdf)`);
    if (BRIDGE_KINDS.includes(d.kind)) throw new Error(`device ${i} (${n}) is ${d.bdf}, a ${d.kind.replace(/_/g, ' ')} of topology ${topology.name}: bridges and ports do not master DMA in the hardware model`);
    return d;
  });
}

/** Derives p2p pairs, the PASID gate per device, and whether the devices share one group. */
export function scenarioFactsFromTopology(topology: Topology, deviceNames: readonly string[]): ScenarioFacts {
  const devs = resolve(topology, deviceNames);
  const p2p: [number, number][] = [];
  devs.forEach((a, i) =>
    devs.forEach((b, j) => {
      if (i === j) return;
      const plain = peerReach(topology, a.bdf, b.bdf);
      const pasid = peerReach(topology, a.bdf, b.bdf, { pasid: PROBE_PASID });
      if (plain.bypassesIommu || pasid.bypassesIommu) p2p.push([i, j]);
    }),
  );
  const pasidAcsPath = devs.map((d) => pciEnablePasid(topology, [], d.bdf).ok);
  const grouping = deriveGroups(topology);
  const groups = new Set(devs.map((d) => grouping.groupOf[d.bdf]));
  return {
    p2p,
    pasidAcsPath,
    sameGroup: groups.size <= 1,
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
  const facts = scenarioFactsFromTopology(topology, deviceMap);
  const mode = scenario.invalidation;
  return {
    ...scenario,
    devices: scenario.devices.map((d, i) => ({ ...d, pasidAcsPath: facts.pasidAcsPath[i]! })),
    p2p: facts.p2p,
    topology: topology.name,
    ...(mode ? { unmapWindow: deviceMap.map((requester) => findUnmapWindow(mode, 6, { topology, requester }).trace).map((t) => (t.length ? t : null)) } : {}),
  };
}

/**
 * For a built-in scenario: its topology (built-in name, or the fallback for a name that is not
 * one) and its device map (BUILTIN_SCENARIO_DEVICE_MAP, else the device names). Null when the
 * scenario names no topology or the topology is unknown.
 */
export function builtinScenarioTopology(scenario: Scenario): { topology: Topology; deviceMap: readonly string[]; fallback: boolean } | null {
  if (scenario.topology === null) return null;
  const direct = getBuiltinTopology(scenario.topology);
  const fallbackName = BUILTIN_SCENARIO_TOPOLOGY_FALLBACK[scenario.name];
  const topology = direct ?? (fallbackName ? getBuiltinTopology(fallbackName) : undefined);
  if (!topology) return null;
  return { topology, deviceMap: BUILTIN_SCENARIO_DEVICE_MAP[scenario.name] ?? scenario.devices.map((d) => d.name), fallback: !direct };
}
