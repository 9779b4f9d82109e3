/**
 * Cache coherency on user domains (issue 16, Deliver 5): the iommufd side
 * (drivers/iommu/iommufd/hw_pagetable.c iommufd_hwpt_paging_enforce_cc, its call in
 * iommufd_hwpt_paging_alloc), the type1 side (drivers/vfio/vfio_iommu_type1.c
 * vfio_iommu_type1_attach_group: `domain->enforce_cache_coherency =
 * domain->domain->ops->enforce_cache_coherency(domain->domain)` right after attaching the group
 * to its new domain, before any mapping is replayed) and the IOMMU driver's side (drivers/iommu/intel/iommu.c: the domain
 * op enforce_cache_coherency, intel_iommu_enforce_cache_coherency_ss; the snoop clause of
 * paging_domain_compatible, which intel_iommu_attach_device runs for every device it attaches).
 *
 * Since "iommufd: Only enforce cache coherency in iommufd_hw_pagetable_alloc" (v6.7) the hwpt's
 * coherency is fixed when it is allocated, for the device it is allocated for
 * (idev->enforce_cache_coherency = device_iommu_capable(dev, IOMMU_CAP_ENFORCE_CACHE_COHERENCY),
 * set in iommufd_device_bind), and never upgraded at attach: "A HWPT (CC) created for a device
 * (CC) cannot be reused by another device (non-CC)" -- the driver's attach refuses it.
 *
 * Simplifications: the model's hwpts are allocated implicitly, for the first device that
 * attaches to them (as iommufd_device_auto_get_domain allocates an IOAS's hwpt for the attaching
 * device); IOMMU_DESTROY does not reset the hwpt's coherency. The driver's compatibility check
 * is called from the iommufd attach and replace paths for each device of the group (where the
 * kernel's __iommu_group_set_domain reaches the driver's attach_dev). Other clauses of
 * paging_domain_compatible (dirty tracking, address width, superpages), the has_mappings refusal
 * of the second-stage op (never met: the hwpt is enforced before iopt_table_add_domain maps
 * anything) are not modelled. Type1 allocates a vfio_domain per group and folds it into an
 * existing one only when their enforce_cache_coherency agree; the model keeps one `container:K`
 * domain and records each group's flag on the group (GroupState.enforce_cache_coherency), so the
 * fold's compatibility attach is not modelled either.
 */
import { containerDomain, hwptDomain } from '../../kernel/domains.ts';
import { err, errAfter, ok, type KernelResult } from '../../kernel/errno.ts';
import { domainClaimsCoherency, hwptCoherency, snoopControl, withHwptCoherency } from '../coherency.ts';
import { groupOf, presentDevices, updateGroup, warnOn, type SystemState } from '../state.ts';
import type { Env, Kernel } from './kernel.ts';

type CoherencyFns = Pick<Kernel, 'iommu_enforce_cache_coherency' | 'iommufd_hwpt_paging_enforce_cc' | 'paging_domain_compatible'>;

const nameOf = (env: Env, dev: number): string => env.scenario.devices[dev]?.name ?? `dev${dev}`;

export const cacheCoherency: CoherencyFns = {
  /**
   * The domain op `domain->ops->enforce_cache_coherency(domain)` (VT-d second stage:
   * intel_iommu_enforce_cache_coherency_ss; the callers test the op and call it directly, there
   * is no core wrapper): true -- ok -- when domain_support_force_snooping holds, i.e. every device
   * attached to the domain (dmar_domain->devices) sits behind an IOMMU with snoop control
   * (ecap_sc_support); then force_snooping (and set_pte_snp) is set. False -- -EINVAL here -- otherwise.
   */
  iommu_enforce_cache_coherency(env, s, { domain, group }) {
    const on = (i: number) => group === undefined || groupOf(env.scenario, i) === group;
    const lacking = s.devices.findIndex((d, i) => d.present && d.hw === domain && on(i) && !snoopControl(env.scenario, i));
    if (lacking >= 0) return err('EINVAL', `domain_support_force_snooping: ${nameOf(env, lacking)} on ${domain} is behind an IOMMU without snoop control (ecap SC)`);
    return ok(s);
  },

  /**
   * iommufd_hwpt_paging_enforce_cc (iommufd/hw_pagetable.c): `if
   * (hwpt_paging->enforce_cache_coherency) return 0;` then `hwpt_paging->enforce_cache_coherency =
   * ops->enforce_cache_coherency(domain)`; -EINVAL when it stays false.
   */
  iommufd_hwpt_paging_enforce_cc(env, s, { ctx, hwpt }) {
    if (hwptCoherency(s, ctx, hwpt) === true) return ok(s);
    const r = env.k.iommu_enforce_cache_coherency(env, s, { domain: hwptDomain(ctx, hwpt) });
    if (!r.ok) return err('EINVAL', `iommufd_hwpt_paging_enforce_cc: enforce_cache_coherency returned false (${r.reason})`);
    return ok(withHwptCoherency(r.next, ctx, hwpt, true));
  },

  /**
   * paging_domain_compatible (intel/iommu.c), its snoop clause (from "iommu/vt-d: Block
   * force-snoop domain attaching if no SC support", v5.19): `if (dmar_domain->force_snooping &&
   * !ecap_sc_support(iommu->ecap)) return -EINVAL;` -- a device whose IOMMU cannot snoop is not
   * attached to a domain that promised to.
   */
  paging_domain_compatible(env, s, { dev, domain }) {
    if (domainClaimsCoherency(s, domain, groupOf(env.scenario, dev)) && !snoopControl(env.scenario, dev)) {
      return err('EINVAL', `paging_domain_compatible: ${domain} has force_snooping but ${nameOf(env, dev)} is behind an IOMMU without snoop control (ecap SC)`);
    }
    return ok(s);
  },
};

/**
 * The coherency part of attaching device `dev`'s group to context ctx's hwpt (iommufd/device.c,
 * before iommu_attach_group_handle / iommu_replace_group_handle): an hwpt not yet allocated is
 * allocated for `dev` (iommufd_hwpt_paging_alloc: `if (idev->enforce_cache_coherency) { rc =
 * iommufd_hwpt_paging_enforce_cc(hwpt_paging); if (WARN_ON(rc)) goto out_abort; }`), then the
 * driver's attach_dev checks every device of the group (paging_domain_compatible). A state without
 * coherency fields (no `noSnoop` device) is returned unchanged.
 */
export function iommufdCoherentAttach(env: Env, s: SystemState, ctx: number, hwpt: number, dev: number): KernelResult<SystemState> {
  const modes = s.containers[ctx]?.enforce_cache_coherency;
  if (!modes) return ok(s);
  let cur = s;
  if (modes[hwpt] === null) {
    if (snoopControl(env.scenario, dev)) {
      const r = env.k.iommufd_hwpt_paging_enforce_cc(env, cur, { ctx, hwpt });
      if (!r.ok) return errAfter('EINVAL', r.reason, warnOn(cur, `iommufd_hwpt_paging_alloc: WARN_ON(iommufd_hwpt_paging_enforce_cc): ${r.reason}`));
      cur = r.next;
    } else cur = withHwptCoherency(cur, ctx, hwpt, false);
  }
  const domain = hwptDomain(ctx, hwpt);
  for (const i of presentDevices(cur, groupOf(env.scenario, dev))) {
    const r = env.k.paging_domain_compatible(env, cur, { dev: i, domain });
    if (!r.ok) return r;
    cur = r.next;
  }
  return ok(cur);
}

/**
 * The coherency part of vfio_iommu_type1_attach_group, after group `group` was attached to the
 * context's new type1 domain: "If the IOMMU can block non-coherent operations (ie PCIe TLPs with
 * no-snoop set) then VFIO always turns this feature on because on Intel platforms it optimizes KVM
 * to disable wbinvd emulation." The op sees the devices of this group only (its own new domain).
 * A state without coherency fields is returned unchanged.
 */
export function type1EnforceCoherency(env: Env, s: SystemState, ctx: number, group: number): SystemState {
  if (s.groups[group]?.enforce_cache_coherency === undefined) return s;
  const r = env.k.iommu_enforce_cache_coherency(env, s, { domain: containerDomain(ctx), group });
  return updateGroup(r.ok ? r.next : s, group, { enforce_cache_coherency: r.ok });
}
