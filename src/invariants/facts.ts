/** Derived facts about a model state that several invariants read. */
import { BLOCKING_DOMAIN, DEFAULT_DOMAIN, containerDomain, type DomainName } from '../kernel/domains.ts';
import { DRIVERS, isDriverName, usesDmaApi } from '../kernel/drivers.ts';
import { namesGroups, scenarioGroups, type Scenario } from '../machines/scenario.ts';
import { groupOf, type DeviceState, type GroupState, type SystemState } from '../machines/state.ts';

/** The device is bound to a driver that uses the DMA API (counted by owner_cnt). */
export const dmaApiBound = (d: DeviceState): boolean => !!d.driver && isDriverName(d.driver) && usesDmaApi(d.driver);

/** The user context with access to the device (group-path fd or cdev bound), or null. */
export function userOf(d: DeviceState): number | null {
  if (d.group_fd !== null) return d.group_fd;
  return d.iommufd ? d.iommufd.ctx : null;
}

/** The IOMMU group (struct iommu_group) device slot `i` belongs to. */
export const groupOfDevice = (s: SystemState, scenario: Scenario, i: number): GroupState => s.groups[groupOf(scenario, i)]!;

/** The user context behind group g's owner cookie, or null. */
export function ownerContext(s: SystemState, g: number): number | null {
  const o = s.groups[g]?.owner ?? null;
  if (o === null) return null;
  if (o === 'vfio_group') return s.vfio_groups[g]?.opened_by ?? null;
  return Number(o.slice('ictx:'.length));
}

/** Domains group g's owner may have it on: blocking, or its own container/hwpt domains. */
export function ownerMayUse(s: SystemState, g: number, domain: DomainName | null): boolean {
  if (domain === BLOCKING_DOMAIN) return true;
  const o = s.groups[g]?.owner ?? null;
  if (o === null || domain === null) return false;
  const opener = s.vfio_groups[g]?.opened_by ?? null;
  if (o === 'vfio_group') return opener !== null && domain === containerDomain(opener);
  return domain.startsWith(`hwpt:${o.slice('ictx:'.length)}.`);
}

/** Is the domain, as seen from group g, still allocated? (kernel-semantics.md I17) */
export function isLive(s: SystemState, g: number, domain: DomainName): boolean {
  const group = s.groups[g];
  if (domain === DEFAULT_DOMAIN) return !!group?.default_domain;
  if (domain === BLOCKING_DOMAIN) return !!group?.blocking_domain;
  if (domain === 'sva') return !!group?.devices.some((i) => s.devices[i]?.sva);
  // A process's SVA domain `sva:M` (scenarios with PASID values, src/machines/iopf.ts): live while one of its bonds is.
  if (domain.startsWith('sva:')) return !!group?.iopf?.bonds.some((b) => `sva:${b.mm}` === domain);
  let m = /^private:(\d+)$/.exec(domain);
  if (m) return !!s.devices[Number(m[1])]?.private_domain;
  m = /^container:(\d+)$/.exec(domain);
  if (m) return !!s.containers[Number(m[1])]?.iommu_set;
  // Contexts with hwpt lifetimes: live while in ictx->objects; otherwise never destroyed (iommufd refuses -EBUSY while in use).
  m = /^hwpt:(\d+)\.(\d+)$/.exec(domain);
  if (m) return s.containers[Number(m[1])]?.hwpt_allocated?.[Number(m[2])] ?? true;
  return domain.startsWith('hwpt:');
}

/**
 * " in group NAME" when the scenario has more than one IOMMU group, else "": reasons name the
 * group only where there is a choice (one-group scenarios read as before).
 */
export function inGroup(scenario: Scenario, g: number): string {
  return namesGroups(scenario) ? ` in group ${scenarioGroups(scenario)[g]?.name ?? g}` : '';
}

/** "group NAME" when the scenario has several groups, else "group". */
export const groupLabel = (scenario: Scenario, g: number): string => (namesGroups(scenario) ? `group ${scenarioGroups(scenario)[g]?.name ?? g}` : 'group');

/** The first reason `f` gives for any IOMMU group, in group order. */
export function firstGroupReason(s: SystemState, f: (g: GroupState, gi: number) => string | null): string | null {
  for (let gi = 0; gi < s.groups.length; gi++) {
    const r = f(s.groups[gi]!, gi);
    if (r !== null) return r;
  }
  return null;
}

/** Name of device `i` in the scenario, for reasons. */
export const devName = (scenario: Scenario, i: number): string => scenario.devices[i]?.name ?? `dev${i}`;

/** The driver is one a VFIO user may keep beside its devices (driver_managed_dma). */
export const managedDriver = (d: DeviceState): boolean =>
  !!d.driver && isDriverName(d.driver) && DRIVERS[d.driver].driverManagedDma;
