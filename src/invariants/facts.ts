/** Derived facts about a model state that several invariants read. */
import { BLOCKING_DOMAIN, DEFAULT_DOMAIN, containerDomain, type DomainName } from '../kernel/domains.ts';
import { DRIVERS, isDriverName, usesDmaApi } from '../kernel/drivers.ts';
import type { Scenario } from '../machines/scenario.ts';
import type { DeviceState, SystemState } from '../machines/state.ts';

/** The device is bound to a driver that uses the DMA API (counted by owner_cnt). */
export const dmaApiBound = (d: DeviceState): boolean => !!d.driver && isDriverName(d.driver) && usesDmaApi(d.driver);

/** The user context with access to the device (group-path fd or cdev bound), or null. */
export function userOf(d: DeviceState): number | null {
  if (d.group_fd !== null) return d.group_fd;
  return d.iommufd ? d.iommufd.ctx : null;
}

/** The user context behind the group's owner cookie, or null. */
export function ownerContext(s: SystemState): number | null {
  const o = s.group.owner;
  if (o === null) return null;
  if (o === 'vfio_group') return s.vfio_group.opened_by;
  return Number(o.slice('ictx:'.length));
}

/** Domains the owner may have the group on: blocking, or its own container/hwpt domains. */
export function ownerMayUse(s: SystemState, domain: DomainName | null): boolean {
  if (domain === BLOCKING_DOMAIN) return true;
  const o = s.group.owner;
  if (o === null || domain === null) return false;
  if (o === 'vfio_group') return s.vfio_group.opened_by !== null && domain === containerDomain(s.vfio_group.opened_by);
  return domain.startsWith(`hwpt:${o.slice('ictx:'.length)}.`);
}

/** Is the domain still allocated? (kernel-semantics.md I17) */
export function isLive(s: SystemState, domain: DomainName): boolean {
  if (domain === DEFAULT_DOMAIN) return s.group.default_domain;
  if (domain === BLOCKING_DOMAIN) return s.group.blocking_domain;
  if (domain === 'sva') return s.devices.some((d) => d.sva);
  let m = /^private:(\d+)$/.exec(domain);
  if (m) return !!s.devices[Number(m[1])]?.private_domain;
  m = /^container:(\d+)$/.exec(domain);
  if (m) return s.vfio_group.iommu_set && s.vfio_group.opened_by === Number(m[1]);
  return domain.startsWith('hwpt:'); // iommufd refuses to destroy a hwpt in use (-EBUSY)
}

/** Name of device `i` in the scenario, for reasons. */
export const devName = (scenario: Scenario, i: number): string => scenario.devices[i]?.name ?? `dev${i}`;

/** The driver is one a VFIO user may keep beside its devices (driver_managed_dma). */
export const managedDriver = (d: DeviceState): boolean =>
  !!d.driver && isDriverName(d.driver) && DRIVERS[d.driver].driverManagedDma;
