/**
 * The model state: one IOMMU group, its device slots, the VFIO group file and the user contexts.
 * Plain, JSON-able data only (no Map/Set/class/bigint), so that one canonical serializer keys it.
 *
 * Modelled after struct iommu_group (drivers/iommu/iommu.c), struct vfio_group
 * (drivers/vfio/vfio.h) and struct iommufd_device (drivers/iommu/iommufd/iommufd_private.h).
 */
import type { DomainName } from '../kernel/domains.ts';
import type { DriverName } from '../kernel/drivers.ts';
import type { Scenario } from './scenario.ts';

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
}

/** An iommufd binding of a device through its VFIO cdev (struct iommufd_device). */
export interface IommufdBinding {
  readonly ctx: number;
  /** The hwpt the device is attached to (VFIO_DEVICE_ATTACH_IOMMUFD_PT), or null. */
  readonly hwpt: number | null;
}

/** One device slot. */
export interface DeviceState {
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

/** The legacy VFIO group file /dev/vfio/$GROUP and its container. */
export interface VfioGroupState {
  /** The context that opened the group file (single opener), or null. */
  readonly opened_by: number | null;
  /** VFIO_GROUP_SET_CONTAINER done: iommu_group_claim_dma_owner succeeded. */
  readonly container: boolean;
  /** VFIO_SET_IOMMU done on the container: the group is attached to `container:K`. */
  readonly iommu_set: boolean;
}

/** The whole model state. */
export interface SystemState {
  readonly group: GroupState;
  readonly devices: readonly DeviceState[];
  readonly vfio_group: VfioGroupState;
  /** The first kernel WARN_ON that fired (sticky), or null: every WARN_ON is an invariant. */
  readonly warn: string | null;
}

/** The state before any actor acted: present devices probed by the IOMMU core, no drivers bound. */
export function initialState(scenario: Scenario): SystemState {
  const anyPresent = scenario.devices.some((d) => d.present);
  return {
    group: {
      owner: null,
      owner_cnt: 0,
      domain: anyPresent ? 'default' : null,
      default_domain: anyPresent,
      blocking_domain: false,
      pasid_array: [],
      singleton_lockdown: false,
    },
    devices: scenario.devices.map((d) => ({
      present: d.present,
      driver: null,
      hw: d.present ? 'default' : null,
      group_fd: null,
      iommufd: null,
      private_domain: false,
      sva: false,
    })),
    vfio_group: { opened_by: null, container: false, iommu_set: false },
    warn: null,
  };
}

/** Indices of the devices currently in the group. */
export const presentDevices = (s: SystemState): number[] =>
  s.devices.flatMap((d, i) => (d.present ? [i] : []));

/** Returns a copy of `s` with device `i` replaced by `f(device)`. */
export function updateDevice(s: SystemState, i: number, f: (d: DeviceState) => DeviceState): SystemState {
  return { ...s, devices: s.devices.map((d, j) => (j === i ? f(d) : d)) };
}

/** Returns a copy of `s` with the group fields in `g` changed. */
export const updateGroup = (s: SystemState, g: Partial<GroupState>): SystemState => ({
  ...s,
  group: { ...s.group, ...g },
});

/** Records the first WARN_ON that fires. */
export const warnOn = (s: SystemState, what: string): SystemState => (s.warn ? s : { ...s, warn: what });
