/**
 * A scenario from a machine and a plan: the topology (built-in, topology file or lspci dump), the
 * grouping rule, and per BDF what may happen to a device (its drivers, presence, PASID); the
 * contexts and the devices each may take. Every IOMMU group that holds a planned device is
 * modelled whole: its other devices become fixed slots that keep the host driver the dump shows
 * (or none), bound before the plan starts and never unbound (simplification). Devices of other
 * groups are not slots: they count only as peers reached peer-to-peer (Scenario.outsidePeers) and
 * as owners of requester IDs (Scenario.foreignRids), held by the kernel.
 *
 * Pure: errors are PlanError with the field path; the caller adds the file name.
 */
import { BRIDGE_KINDS, findDevice, groupingBy, type GroupingRule, type PciDevice, type Topology } from '../hardware/index.ts';
import { DRIVERS, isDriverName, type DriverName } from '../kernel/drivers.ts';
import type { ContextSpec, DeviceSpec, Scenario, UserPath } from '../machines/scenario.ts';
import type { PlatformSpec } from '../machines/platform.ts';

/** What the plan says about one device (keyed by BDF or topology name). */
export interface PlanDevice {
  readonly drivers: readonly DriverName[];
  readonly present?: boolean;
  readonly pasid?: boolean;
  readonly requireDirect?: boolean;
}

/** A context of the plan: the devices it may take (each in at most one context's list). */
export interface PlanContext {
  readonly name: string;
  readonly paths: readonly UserPath[];
  readonly hwpts: number;
  readonly devices?: readonly string[];
  /** The context maps its memory for DMA (ContextSpec.mapDma). */
  readonly mapDma?: boolean;
}

export interface PlanInput {
  readonly name: string;
  readonly description: string;
  readonly topology: Topology;
  readonly grouping: GroupingRule;
  readonly plan: Readonly<Record<string, PlanDevice>>;
  readonly contexts: readonly PlanContext[];
  readonly hotplug: boolean;
  readonly invalidation?: 'strict' | 'lazy';
  readonly platform?: PlatformSpec;
}

/** A located plan error: `path` is the field (plan."03:00.0", contexts[1].devices[0]). */
export class PlanError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The model's stand-in for a host driver named in a dump: vfio-pci, pci-stub and pcieport are
 * themselves; any other driver is a DMA-API driver (e1000e: iommu_device_use_default_domain).
 */
export function driverArchetype(name: string): DriverName {
  if (isDriverName(name) && (DRIVERS[name].vfio || DRIVERS[name].driverManagedDma)) return name;
  return 'e1000e';
}

/** Resolves a plan key to a DMA-capable device of the topology. */
function resolve(topology: Topology, key: string, path: string): PciDevice {
  const d = findDevice(topology, key);
  if (!d) throw new PlanError(path, `expected a device of topology ${topology.name} (a BDF or a device name), got "${key}"`);
  if (BRIDGE_KINDS.includes(d.kind)) throw new PlanError(path, `expected a DMA-capable function, got ${d.bdf}, a ${d.kind.replace(/_/g, ' ')} (bridges and ports do not master DMA in the model)`);
  return d;
}

/** A fixed slot for an unplanned group-mate: its host driver from the dump (as an archetype), or none. */
function fixedSpec(d: PciDevice, group: number): DeviceSpec {
  const drivers = d.driver ? [driverArchetype(d.driver)] : [];
  return { name: d.bdf, drivers, present: true, pasid: false, pasidAcsPath: false, requireDirect: false, group, fixed: true, ...(d.driver ? { hostDriver: d.driver } : {}) };
}

/** The context specs with each plan context's device names turned into slots; a device in two lists is an error. */
function contextSpecs(contexts: readonly PlanContext[], slotOf: (key: string) => number | undefined): ContextSpec[] {
  const taken = new Map<number, number>();
  return contexts.map((c, ci) => {
    const mapDma = c.mapDma ? { mapDma: true } : {};
    if (!c.devices) return { name: c.name, paths: c.paths, hwpts: c.hwpts, ...mapDma };
    const devices = c.devices.map((key, k) => {
      const slot = slotOf(key);
      const path = `contexts[${ci}].devices[${k}]`;
      if (slot === undefined) throw new PlanError(path, `expected a device of the plan, got "${key}"`);
      const other = taken.get(slot);
      if (other !== undefined) throw new PlanError(path, `"${key}" is already in contexts[${other}].devices; expected each device in one context's list`);
      taken.set(slot, ci);
      return slot;
    });
    return { name: c.name, paths: c.paths, hwpts: c.hwpts, devices, ...mapDma };
  });
}

/**
 * SR-IOV: a planned VF whose PF is a slot with an SR-IOV PF driver among its drivers comes and
 * goes with the PF's SR-IOV (DeviceSpec.pf; it starts absent, as no driver is bound at the start).
 * A VF whose PF is not such a slot is present throughout, as the host's SR-IOV left it.
 */
function linkVfs(topology: Topology, devices: DeviceSpec[]): void {
  devices.forEach((d, i) => {
    const physfn = findDevice(topology, d.name)?.physfn;
    if (!physfn || d.fixed) return;
    const pf = devices.findIndex((x) => x.name === physfn);
    if (pf < 0 || !devices[pf]!.drivers.some((drv) => DRIVERS[drv].sriovPf)) return;
    devices[i] = { ...d, pf, present: false };
  });
}

/**
 * The scenario of a plan (before applyTopology derives p2p, PASID gates, groups and requester
 * IDs): one slot per device of every IOMMU group that holds a planned device, group by group in
 * the order the plan first names them, each group's devices in BDF order.
 */
export function scenarioFromPlan(p: PlanInput): Scenario {
  const keys = Object.keys(p.plan);
  if (keys.length === 0) throw new PlanError('plan', 'expected at least one device');
  const planned = new Map<string, [PciDevice, PlanDevice]>();
  for (const key of keys) {
    const d = resolve(p.topology, key, `plan."${key}"`);
    if (planned.has(d.bdf)) throw new PlanError(`plan."${key}"`, `${d.bdf} is planned twice (under another key too)`);
    planned.set(d.bdf, [d, p.plan[key]!]);
  }
  const grouping = groupingBy(p.topology, p.grouping);
  const groupIds: number[] = [];
  for (const [bdf] of planned) {
    const g = grouping.groupOf[bdf]!;
    if (!groupIds.includes(g)) groupIds.push(g);
  }
  const devices: DeviceSpec[] = [];
  groupIds.forEach((gid, group) => {
    const members = grouping.groups.find((g) => g.id === gid)!.devices;
    for (const bdf of members) {
      const d = findDevice(p.topology, bdf)!;
      if (BRIDGE_KINDS.includes(d.kind)) continue;
      const plan = planned.get(bdf)?.[1];
      devices.push(
        plan
          ? { name: bdf, drivers: plan.drivers, present: plan.present ?? true, pasid: plan.pasid ?? false, pasidAcsPath: false, requireDirect: plan.requireDirect ?? false, group }
          : fixedSpec(d, group),
      );
    }
  });
  linkVfs(p.topology, devices);
  const slotOf = (key: string) => {
    const d = findDevice(p.topology, key);
    const slot = d && planned.has(d.bdf) ? devices.findIndex((x) => x.name === d.bdf) : -1;
    return slot >= 0 ? slot : undefined;
  };
  return {
    name: p.name,
    description: p.description,
    grouping: p.grouping,
    devices,
    contexts: contextSpecs(p.contexts, slotOf),
    hotplug: p.hotplug,
    p2p: [],
    topology: p.topology.name,
    ...(p.invalidation ? { invalidation: p.invalidation } : {}),
    ...(p.platform ? { platform: p.platform } : {}),
  };
}
