/**
 * The model state: every IOMMU group of a machine, the device slots, each group's VFIO group
 * file, each context's VFIO container and the iommufd groups.
 * Plain, JSON-able data only (no Map/Set/class/bigint), so that one canonical serializer keys it.
 *
 * Modelled after struct iommu_group (drivers/iommu/iommu.c), struct vfio_group
 * (drivers/vfio/vfio.h) and struct iommufd_device (drivers/iommu/iommufd/iommufd_private.h).
 */
import type { DomainName } from '../kernel/domains.ts';
import type { DriverName } from '../kernel/drivers.ts';
import { barDmabufEnabled, barMmapEnabled, coherencyEnabled, faultQueuesEnabled, hotResetsEnabled, pasidAllocation, resetsEnabled, scenarioGroups, translationEnabled, vdevicesEnabled, type Scenario } from './scenario.ts';
import { initialTranslation, type GroupTranslation } from './translation.ts';
import { EMPTY_IOPF, type GroupIopf } from './iopf.ts';
import type { ResetDeviceFields } from './reset.ts';
import type { BarDeviceFields } from './barAccess.ts';
import type { HotResetDeviceFields } from './hotReset.ts';
import type { VdeviceDeviceFields } from './vdevice.ts';
import type { FaultQueueDeviceFields } from './faultQueue.ts';
import type { CoherencyDeviceFields } from './coherency.ts';

/** The translation path's state helpers, for variants (src/variantApi.ts spreads this module). */
export { translationOf, withTranslation } from './translation.ts';
/** The PASID and page-request state helpers (issue 15, step 6), for variants. */
export { iopfOf, withIopf } from './iopf.ts';
/** The vDEVICE phases (src/machines/vdevice.ts). */
export type { VdevicePhase } from './vdevice.ts';

/** group->owner: NULL, the legacy vfio_group cookie, or an iommufd context `ictx:K`. */
export type Owner = 'vfio_group' | `ictx:${number}`;

export const ictxOwner = (ctx: number): Owner => `ictx:${ctx}`;

/** One entry of group->pasid_array. */
export interface PasidEntry {
  readonly pasid: number;
  readonly domain: DomainName;
}

/** struct iommu_group, the fields the ownership rules read and write. */
export interface GroupState {
  readonly owner: Owner | null;
  readonly owner_cnt: number;
  /** group->domain: what the core believes every member's RID is attached to. */
  readonly domain: DomainName | null;
  /** group->default_domain exists (set up once the group has had a device). */
  readonly default_domain: boolean;
  /** group->blocking_domain has been allocated (first claim); freed when the group empties. */
  readonly blocking_domain: boolean;
  readonly pasid_array: readonly PasidEntry[];
  /** RFC v2 `group->singleton_lockdown` (variant W5 only; always false in the current kernel). */
  readonly singleton_lockdown: boolean;
  /**
   * group->devices: the slots of the devices in the group's list, ascending (iommu_probe_device
   * adds one, __iommu_group_remove_device unlinks it). for_each_group_device walks this list.
   */
  readonly devices: readonly number[];
  /**
   * The translation path (issue 15, src/machines/translation.ts): the group's pages, the default
   * domain's IO page table, IOTLB entries and DMA handles. Absent when the scenario has no DMA
   * actor (DeviceSpec.dma); null for a group without one.
   */
  readonly translation?: GroupTranslation | null;
  /**
   * PASID values, SVA bonds and queued page requests (issue 15, step 6, src/machines/iopf.ts).
   * Absent when no device of the scenario has `pasids` or `pri`.
   */
  readonly iopf?: GroupIopf;
  /**
   * group->recovery_cnt (b296ca1fb43a): devices of the group undergoing or awaiting recovery (a
   * staged reset); while non-zero, attaches that are not must-succeed get -EBUSY. Absent when no
   * device of the scenario is `resettable` (src/machines/reset.ts).
   */
  readonly recovery_cnt?: number;
  /**
   * Cache coherency (issue 16, Deliver 5): enforce_cache_coherency of the type1 vfio_domain the
   * group was last attached to (vfio_iommu_type1_attach_group: the domain op's answer right after
   * the attach; the model's one `container:K` domain stands for one vfio_domain per group). Read
   * only while the group is on `container:K`. Present only in scenarios with a `noSnoop` device.
   */
  readonly enforce_cache_coherency?: boolean;
}

/** An iommufd binding of a device through its VFIO cdev (struct iommufd_device). */
export interface IommufdBinding {
  readonly ctx: number;
  /** The hwpt the device is attached to (VFIO_DEVICE_ATTACH_IOMMUFD_PT), or null. */
  readonly hwpt: number | null;
}

/**
 * One device slot: the fields every scenario has, and the optional fields of each feature, each
 * declared with its feature (present only in scenarios that enable it): staged resets
 * (./reset.ts), BAR access (./barAccess.ts), VFIO hot reset (./hotReset.ts), vDEVICEs
 * (./vdevice.ts), fault queues (./faultQueue.ts), cache coherency (./coherency.ts).
 */
export interface DeviceState
  extends ResetDeviceFields, BarDeviceFields, HotResetDeviceFields, VdeviceDeviceFields, FaultQueueDeviceFields, CoherencyDeviceFields {
  readonly present: boolean;
  readonly driver: DriverName | null;
  /** The domain the IOMMU hardware uses for this device's RID; null when not present. */
  readonly hw: DomainName | null;
  /** Legacy VFIO: the context holding a device fd from VFIO_GROUP_GET_DEVICE_FD. */
  readonly group_fd: number | null;
  /** VFIO cdev bound to an iommufd (access_granted), or null. */
  readonly iommufd: IommufdBinding | null;
  /** The driver holds its private unmanaged domain `private:D` (allocated, not yet freed). */
  readonly private_domain: boolean;
  /** The driver holds an SVA bond (iommu_sva_bind_device) for the scenario's process. */
  readonly sva: boolean;
}

/**
 * The legacy VFIO group file /dev/vfio/$GROUP of one IOMMU group, and the counters of struct
 * vfio_group (drivers/vfio/vfio.h) that the group-wide rules read.
 */
export interface VfioGroupState {
  /** The context that opened the group file (single opener), or null. */
  readonly opened_by: number | null;
  /**
   * VFIO_GROUP_SET_CONTAINER done: iommu_group_claim_dma_owner succeeded and the group is on the
   * group_list of its opener's container (containers[opened_by]).
   */
  readonly container: boolean;
  /**
   * vfio_group->drivers: VFIO drivers bound in the group (vfio_register_group_dev increments,
   * vfio_device_remove_group decrements; at 0 the vfio_group loses its iommu_group).
   */
  readonly drivers: number;
  /**
   * vfio_group->cdev_device_open_cnt: devices bound to an iommufd through their cdev
   * (vfio_device_block_group / vfio_device_unblock_group, drivers/vfio/group.c).
   */
  readonly cdev_device_open_cnt: number;
  /**
   * vfio_group->container_users: 1 for the group's own use of its container
   * (vfio_container_attach_group, drivers/vfio/container.c), plus one per device opened through
   * the group file: vfio_group_use_container takes a reference on the group file (get_file) and
   * increments it, vfio_group_unuse_container drops both; vfio_group_detach_container sets 0.
   * The device fds' references are why vfio_group_fops_release waits for them.
   */
  readonly container_users: number;
  /**
   * The opener closed its group fd while device fds still held the file (each took get_file on
   * it): close() returned 0, but the struct file lives on and vfio_group_fops_release ("Device
   * FDs hold a group file reference, therefore the group release is only called when there are
   * no open devices", drivers/vfio/group.c) runs when the last device fd closes. Meanwhile the
   * group stays opened (opened_file set: a new open gets -EBUSY) and keeps its container.
   */
  readonly fd_closed: boolean;
}

/**
 * struct vfio_container (drivers/vfio/container.c) of one user context: the model gives each
 * context with the legacy path one container (simplification). Its group_list is the set of
 * vfio groups with `container` set and `opened_by` this context.
 */
export interface ContainerState {
  /**
   * container->iommu_driver is set (VFIO_SET_IOMMU): every group on the group_list is attached
   * to the container's type1 domain `container:K`; the last group to leave releases it.
   */
  readonly iommu_set: boolean;
  /**
   * The same context's iommufd object table, for contexts with ContextSpec.hwptLifetime only:
   * hwpt H is in ictx->objects (IOMMU_HWPT_ALLOC succeeded, no IOMMU_DESTROY since). Its
   * obj.users is derived: 1 + the devices attached to it. Absent on every other context.
   */
  readonly hwpt_allocated?: readonly boolean[];
  /**
   * Hwpt lifetimes (issue 16, iommufd close): the context still holds its iommufd fd (false once it
   * closed it: no more IOMMU_* ioctls or binds; iommufd_fops_release runs then, or at the last bound
   * device's iommufd_ctx_put). Present exactly when hwpt_allocated is (iommufdHwpt.ts).
   */
  readonly iommufd_open?: boolean;
  /**
   * Cache coherency (issue 16, Deliver 5): per hwpt H of this context's iommufd,
   * hwpt_paging->enforce_cache_coherency as fixed when the hwpt was allocated for its first
   * device (iommufd_hwpt_paging_alloc): null before that, then true (the domain enforces: VT-d
   * force_snooping) or false. Present only on iommufd contexts of scenarios with a `noSnoop` device.
   */
  readonly enforce_cache_coherency?: readonly (boolean | null)[];
}

/**
 * struct iommufd_group (drivers/iommu/iommufd/iommufd_private.h) of one iommufd context and one
 * IOMMU group while some device of the group is attached: igroup->hwpt and the length of
 * igroup->device_list. Simplification: the kernel keeps the igroup from the first bind on with
 * hwpt NULL while no device is attached; the model keeps an entry only while devices > 0.
 */
export interface IommufdGroupState {
  readonly ctx: number;
  /** The IOMMU group (index into SystemState.groups). */
  readonly group: number;
  readonly hwpt: number;
  readonly devices: number;
}

/**
 * The whole model state: every IOMMU group of the scenario's machine, its device slots, the
 * VFIO group file of each group, each context's VFIO container, and the iommufd groups.
 * `groups[g]`, `vfio_groups[g]` belong to IOMMU group g; a device's group is fixed by the
 * scenario (DeviceSpec.group), as the IOMMU core fixes it at probe time (pci_device_group).
 */
export interface SystemState {
  readonly groups: readonly GroupState[];
  readonly devices: readonly DeviceState[];
  readonly vfio_groups: readonly VfioGroupState[];
  /** One per user context (struct vfio_container; contexts without the legacy path keep it unset). */
  readonly containers: readonly ContainerState[];
  /** The iommufd groups, one per (context, IOMMU group) with attached devices, sorted by (ctx, group). */
  readonly iommufd_groups: readonly IommufdGroupState[];
  /** The first kernel WARN_ON that fired (sticky), or null: every WARN_ON is an invariant. */
  readonly warn: string | null;
}

const NO_VFIO_GROUP: VfioGroupState = { opened_by: null, container: false, drivers: 0, cdev_device_open_cnt: 0, container_users: 0, fd_closed: false };

/** The state before any actor acted: present devices probed by the IOMMU core, no drivers bound. */
export function initialState(scenario: Scenario): SystemState {
  const dma = translationEnabled(scenario);
  const pasids = pasidAllocation(scenario);
  const resets = resetsEnabled(scenario);
  const bars = barMmapEnabled(scenario);
  const vdevices = vdevicesEnabled(scenario);
  const faultQueues = faultQueuesEnabled(scenario);
  const coherency = coherencyEnabled(scenario);
  const groups = scenarioGroups(scenario).map((_, g) => {
    const members = scenario.devices.flatMap((d, i) => (d.present && groupOf(scenario, i) === g ? [i] : []));
    const any = members.length > 0;
    return {
      owner: null,
      owner_cnt: 0,
      domain: any ? 'default' : null,
      default_domain: any,
      blocking_domain: false,
      pasid_array: [],
      singleton_lockdown: false,
      devices: members,
      ...(dma ? { translation: initialTranslation(scenario, g) } : {}),
      ...(pasids ? { iopf: EMPTY_IOPF } : {}),
      ...(resets ? { recovery_cnt: 0 } : {}),
      ...(coherency ? { enforce_cache_coherency: false } : {}),
    } satisfies GroupState;
  });
  return {
    groups,
    devices: scenario.devices.map((d) => ({
      present: d.present,
      driver: null,
      hw: d.present ? 'default' : null,
      group_fd: null,
      iommufd: null,
      private_domain: false,
      sva: false,
      ...(resets ? { blocked: false, reset_depth: 0, resetting: 0 } : {}),
      ...(bars ? { command_memory: true, bar_ptes: false, memory_lock: false } : {}),
      ...(barDmabufEnabled(scenario) ? { dma_buf: 'none' as const } : {}),
      ...(vdevices ? { vdevice: 'none' as const } : {}),
      ...(faultQueues ? { iopf_pending: null } : {}),
      ...(coherency ? { no_snoop_stale: false } : {}),
      ...(hotResetsEnabled(scenario) ? { hot_reset: null } : {}), // VFIO hot reset (issue 16, Deliver 2)
    })),
    vfio_groups: groups.map(() => NO_VFIO_GROUP),
    containers: scenario.contexts.map((c) => ({
      ...(c.hwptLifetime ? { iommu_set: false, hwpt_allocated: Array.from({ length: c.hwpts }, () => false), iommufd_open: true } : { iommu_set: false }),
      // Cache coherency (issue 16, Deliver 5): each hwpt's enforce_cache_coherency, undecided until allocated.
      ...(coherency && c.paths.includes('iommufd') ? { enforce_cache_coherency: Array.from({ length: c.hwpts }, () => null) } : {}),
    })),
    iommufd_groups: [],
    warn: null,
  };
}

/** The context holding device `dev`'s fd (a legacy device fd, or the cdev bound to its iommufd), or null. */
export function deviceFdHolder(s: SystemState, dev: number): number | null {
  const d = s.devices[dev];
  return d?.group_fd ?? d?.iommufd?.ctx ?? null;
}

/** The IOMMU group (index into SystemState.groups) of device slot `dev`. */
export const groupOf = (scenario: Scenario, dev: number): number => scenario.devices[dev]?.group ?? 0;

/** The devices currently in IOMMU group `g` (group->devices). */
export const presentDevices = (s: SystemState, g: number): readonly number[] => s.groups[g]?.devices ?? [];

/** group->devices of group `g` with slot `dev` added (list_add_tail in iommu_group_add_device) or removed. */
export const withGroupDevice = (s: SystemState, g: number, dev: number, member: boolean): SystemState => {
  const rest = presentDevices(s, g).filter((i) => i !== dev);
  return updateGroup(s, g, { devices: member ? [...rest, dev].sort((a, b) => a - b) : rest });
};

/**
 * A device view may carry this method (exploreFast's read-recording views do): it returns the
 * device with `patch` applied without reading the fields it copies, so that a rule that sets a
 * field of every group member (for_each_group_device) does not depend on their other fields.
 */
export const PATCH_DEVICE: unique symbol = Symbol('iommu-mc.patchDevice');

type Patchable = DeviceState & { readonly [PATCH_DEVICE]?: (patch: Partial<DeviceState>) => DeviceState };

/** `d` with the fields in `patch` changed: `{ ...d, ...patch }`. */
export function patchDevice(d: DeviceState, patch: Partial<DeviceState>): DeviceState {
  return (d as Patchable)[PATCH_DEVICE]?.(patch) ?? { ...d, ...patch };
}

/** Returns a copy of `s` with device `i` patched (or replaced by `f(device)`). */
export function updateDevice(s: SystemState, i: number, change: Partial<DeviceState> | ((d: DeviceState) => DeviceState)): SystemState {
  const devices = s.devices.slice();
  if (i >= 0 && i < devices.length) {
    const d = devices[i]!;
    devices[i] = typeof change === 'function' ? change(d) : patchDevice(d, change);
  }
  return { ...s, devices };
}

/** `a` with element `i` replaced by `v` (a copy; `a` itself is never changed). */
const withAt = <T>(a: readonly T[], i: number, v: T): readonly T[] => {
  const out = a.slice();
  out[i] = v;
  return out;
};

/**
 * An element of the global part's arrays (an IOMMU group, a VFIO group file, a container) may
 * carry this method on exploreFast's recording views of the global part: it returns the element
 * with `patch` applied without reading the fields it copies, so that a rule that sets a group's
 * owner does not depend on the group's translation state (src/engine/packed/globalView.ts).
 */
export const PATCH_ELEMENT: unique symbol = Symbol('iommu-mc.patchElement');

/**
 * On such a view, the element a patched element was made from and the fields patched (read
 * without recording): mayDiffer uses it to tell which fields a call left alone.
 */
export const ELEMENT_PATCH: unique symbol = Symbol('iommu-mc.elementPatch');

type ElementPatchable<T> = T & {
  readonly [PATCH_ELEMENT]?: (patch: Partial<T>) => T;
  readonly [ELEMENT_PATCH]?: { readonly base: object; readonly patch: object };
};

/** `o` (a group, VFIO group file or container) with the fields in `patch` changed: `{ ...o, ...patch }`. */
export function patchElement<T extends object>(o: T, patch: Partial<T>): T {
  return (o as ElementPatchable<T>)[PATCH_ELEMENT]?.(patch) ?? { ...o, ...patch };
}

/**
 * Whether field `f` of `after` (an element of a successor built from `before`) may differ from
 * `before`'s: false when `after` is `before`, or a patch of it that leaves `f` alone; otherwise
 * the two values are compared. On a recording view the first two answers read nothing.
 */
export function mayDiffer<T extends object>(before: T | undefined, after: T | undefined, f: keyof T): boolean {
  if (after === before) return false;
  if (before === undefined || after === undefined) return true;
  const p = (after as ElementPatchable<T>)[ELEMENT_PATCH];
  if (p !== undefined && p.base === before) return Object.hasOwn(p.patch, f);
  return after[f] !== before[f];
}

/** Returns a copy of `s` with the fields in `patch` of IOMMU group `g` changed. */
export const updateGroup = (s: SystemState, g: number, patch: Partial<GroupState>): SystemState =>
  s.groups[g] ? { ...s, groups: withAt(s.groups, g, patchElement(s.groups[g], patch)) } : s;

/** Returns a copy of `s` with the fields in `patch` of group `g`'s VFIO group file changed. */
export const updateVfioGroup = (s: SystemState, g: number, patch: Partial<VfioGroupState>): SystemState =>
  s.vfio_groups[g] ? { ...s, vfio_groups: withAt(s.vfio_groups, g, patchElement(s.vfio_groups[g], patch)) } : s;

/** Returns a copy of `s` with a vfio_group counter of group `g` moved by `delta` (the kernel's ++ / --). */
export const addToVfioGroup = (s: SystemState, g: number, counter: 'drivers' | 'cdev_device_open_cnt' | 'container_users', delta: number): SystemState =>
  updateVfioGroup(s, g, { [counter]: (s.vfio_groups[g]?.[counter] ?? 0) + delta });

/** Returns a copy of `s` with context `ctx`'s container changed. */
export const updateContainer = (s: SystemState, ctx: number, patch: Partial<ContainerState>): SystemState =>
  s.containers[ctx] ? { ...s, containers: withAt(s.containers, ctx, patchElement(s.containers[ctx], patch)) } : s;

/** The groups on context `ctx`'s container group_list, ascending. */
export const containerGroups = (s: SystemState, ctx: number): number[] =>
  s.vfio_groups.flatMap((v, g) => (v.container && v.opened_by === ctx ? [g] : []));

/** The iommufd group of context `ctx` and IOMMU group `g` (an entry while some device is attached), or undefined. */
export const iommufdGroupOf = (s: SystemState, ctx: number, g: number): IommufdGroupState | undefined =>
  s.iommufd_groups.find((x) => x.ctx === ctx && x.group === g);

/** Returns a copy of `s` with (ctx, g)'s iommufd group set (removed when null), kept sorted by (ctx, group). */
export function setIommufdGroup(s: SystemState, ctx: number, g: number, ig: Omit<IommufdGroupState, 'ctx' | 'group'> | null): SystemState {
  const rest = s.iommufd_groups.filter((x) => x.ctx !== ctx || x.group !== g);
  const iommufd_groups = ig === null ? rest : [...rest, { ctx, group: g, ...ig }].sort((a, b) => a.ctx - b.ctx || a.group - b.group);
  return { ...s, iommufd_groups };
}

/** Records the first WARN_ON that fires. */
export const warnOn = (s: SystemState, what: string): SystemState => (s.warn ? s : { ...s, warn: what });
