/**
 * Cache coherency (issue 16, Deliver 5): which IOMMUs can force snooping, which user domains claim
 * to (hwpt_paging->enforce_cache_coherency), and the hardware's side: a device's no-snoop read.
 * The kernel's rules are in the rule table (src/machines/semantics/cacheCoherency.ts).
 *
 * Kernel facts (docs/kernel-notes.md, "Cache coherency"): a PCIe TLP with the No Snoop attribute
 * bypasses the CPU caches unless the IOMMU forces snooping (VT-d snoop control: the SNP bit of
 * second-stage PTEs or PGSNP in the PASID entry, set once the domain's force_snooping is).
 * IOMMU_CAP_ENFORCE_CACHE_COHERENCY of a device is its IOMMU's ability to do so
 * (intel_iommu_capable: ecap_sc_support). A user domain that enforces is reported to KVM as
 * coherent (VFIO_DMA_CC_IOMMU, vfio_file_enforced_coherent), and KVM then does not register
 * non-coherent DMA (kvm_arch_register_noncoherent_dma): the guest's WBINVD becomes a no-op, so
 * the guest no longer writes dirty lines back before a device reads them.
 *
 * Model of the read (simplification): on a domain that claims enforcement the user relies on it
 * and skips the flush, so a CPU cache may hold the line dirty; on any other domain the user
 * flushes (KVM emulates WBINVD) and no line is dirty. A no-snoop read is snooped when the domain
 * has force_snooping and the device's IOMMU has snoop control. The read returns stale data
 * exactly when the domain claims enforcement and the IOMMU does not snoop for the device.
 */
import { userOfDomain, type DomainName } from '../kernel/domains.ts';
import type { IommuEvent } from './events.ts';
import { platformOf } from './platform.ts';
import { coherencyEnabled, type Scenario } from './scenario.ts';
import { groupOf, updateContainer, updateDevice, type SystemState } from './state.ts';

/** Cache coherency (issue 16): the per-device field of DeviceState. */
export interface CoherencyDeviceFields {
  /**
   * Cache coherency (issue 16, Deliver 5; src/machines/coherency.ts): a no-snoop read of this
   * device (dma_no_snoop) on a user domain that claims enforce_cache_coherency was not snooped,
   * so it returned memory while a CPU cache still held the line dirty (sticky). Present on every
   * device only in scenarios with a `noSnoop` device.
   */
  readonly no_snoop_stale?: boolean;
}

export { coherencyEnabled };

/** IOMMU_CAP_ENFORCE_CACHE_COHERENCY of device slot `dev` (its IOMMU has snoop control): the device's setting, else the platform's. */
export const snoopControl = (scenario: Scenario, dev: number): boolean =>
  scenario.devices[dev]?.enforceCoherency ?? platformOf(scenario).enforceCoherency;

/** The hwpt (ctx, hwpt) a domain name `hwpt:K.H` stands for, or null for any other domain. */
export function hwptOfDomain(domain: DomainName | null): { ctx: number; hwpt: number } | null {
  const m = domain === null ? null : /^hwpt:(\d+)\.(\d+)$/.exec(domain);
  return m ? { ctx: Number(m[1]), hwpt: Number(m[2]) } : null;
}

/** hwpt_paging->enforce_cache_coherency of context ctx's hwpt: null while undecided (not yet allocated) or untracked. */
export const hwptCoherency = (s: SystemState, ctx: number, hwpt: number): boolean | null =>
  s.containers[ctx]?.enforce_cache_coherency?.[hwpt] ?? null;

/** Returns a copy of `s` with context ctx's hwpt marked enforcing (true) or not (false); unchanged where untracked. */
export function withHwptCoherency(s: SystemState, ctx: number, hwpt: number, enforces: boolean): SystemState {
  const cur = s.containers[ctx]?.enforce_cache_coherency;
  if (!cur || hwpt < 0 || hwpt >= cur.length) return s;
  const next = cur.slice();
  next[hwpt] = enforces;
  return updateContainer(s, ctx, { enforce_cache_coherency: next });
}

/**
 * The user domain that IOMMU group `group` is on claims enforce_cache_coherency (and, in the
 * kernel, its driver set force_snooping with it): an iommufd hwpt's flag, or for the type1
 * container domain the flag of the group's own vfio_domain (GroupState.enforce_cache_coherency).
 */
export function domainClaimsCoherency(s: SystemState, domain: DomainName | null, group: number): boolean {
  const h = hwptOfDomain(domain);
  if (h !== null) return hwptCoherency(s, h.ctx, h.hwpt) === true;
  return domain !== null && domain.startsWith('container:') && s.groups[group]?.enforce_cache_coherency === true;
}

/**
 * The hardware: device `dev` issues a no-snoop DMA read through its RID's domain. Stale (recorded
 * in no_snoop_stale, sticky) when the domain claims enforcement but the device's IOMMU cannot
 * snoop for it; otherwise the read is coherent and nothing changes.
 */
export function dmaNoSnoop(scenario: Scenario, s: SystemState, dev: number): SystemState {
  const d = s.devices[dev];
  if (!d?.present || d.no_snoop_stale === true || !domainClaimsCoherency(s, d.hw, groupOf(scenario, dev))) return s;
  if (snoopControl(scenario, dev)) return s;
  return updateDevice(s, dev, { no_snoop_stale: true });
}

/** The no-snoop read offered on a present `noSnoop` device while its RID is on a user domain. */
export function noSnoopEvents(scenario: Scenario, s: SystemState, dev: number): IommuEvent[] {
  const d = s.devices[dev];
  if (scenario.devices[dev]?.noSnoop !== true || !d?.present || userOfDomain(d.hw) === null) return [];
  return [{ type: 'dma_no_snoop', dev }];
}
