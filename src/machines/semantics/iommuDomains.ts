/**
 * RID and PASID domain attachment: drivers/iommu/iommu.c (kernel pinned in src/kernel/version.ts).
 *
 * Simplifications (also in docs): the IOMMU driver's attach_dev always succeeds except for the
 * blocking domain on a require_direct device; domain/ops compatibility (-EINVAL) is not modelled.
 * Staged PCI resets (recovery_cnt, -EBUSY; issue 16) are in __iommu_group_set_domain and
 * iommu_attach_device_pasid, the reset calls themselves in ./pciReset.ts.
 */
import { BLOCKING_DOMAIN, DEFAULT_DOMAIN, privateDomain } from '../../kernel/domains.ts';
import { err, errAfter, ok, type KernelErr } from '../../kernel/errno.ts';
import { groupOf, patchDevice, presentDevices, updateGroup, warnOn } from '../state.ts';
import type { Kernel } from './kernel.ts';
import { maxPasidOf } from '../iopf.ts';

type DomainFns = Pick<
  Kernel,
  | '__iommu_group_set_domain'
  | '__iommu_group_set_core_domain'
  | '__iommu_attach_group'
  | 'iommu_attach_device'
  | 'iommu_detach_device'
  | 'iommu_attach_group'
  | 'iommu_detach_group'
  | 'iommu_attach_group_handle'
  | 'iommu_detach_group_handle'
  | 'iommu_replace_group_handle'
  | 'iommu_attach_device_pasid'
  | 'iommu_detach_device_pasid'
  | 'iommu_domain_free'
>;

/** IOMMU_NO_PASID: the pasid_array slot iommufd's handle-based RID attach reserves. */
export const IOMMU_NO_PASID = 0;

/** PASID is enabled on the device: capability present and pci_enable_pasid's ACS check passed. */
const pasidEnabled = (spec: { pasid: boolean; pasidAcsPath: boolean }): boolean => spec.pasid && spec.pasidAcsPath;

export const domains: DomainFns = {
  /**
   * __iommu_group_set_domain_internal (iommu.c): same domain -> 0; each member through
   * __iommu_device_set_domain (./iommuResv.ts), which refuses the blocking domain for a
   * require_direct device with -EINVAL (the group is left as it was; must-succeed callers go on
   * past it); on success every member's RID is attached to the new domain and group->domain is updated.
   * Staged resets (issue 16; b296ca1fb43a, 5474e6e17a26): -EBUSY while group->recovery_cnt is
   * non-zero unless the caller is must-succeed (IOMMU_SET_DOMAIN_MUST_SUCCEED); a blocked member
   * is skipped (`if (gdev->blocked) continue;`) and picks up group->domain in pci_dev_reset_iommu_done.
   */
  __iommu_group_set_domain(env, s, { group, domain, mustSucceed }) {
    const g = s.groups[group]!;
    if (g.domain === domain) return ok(s);
    if ((g.recovery_cnt ?? 0) > 0 && !mustSucceed) {
      return err('EBUSY', `group->recovery_cnt is ${g.recovery_cnt}: a device of the group is being reset (pci_dev_reset_iommu_prepare)`);
    }
    const blocked = (i: number) => s.devices[i]?.blocked === true;
    // The IOMMU driver's attach_dev first takes the RID off its old domain: with ATS in the
    // scenario, its ATS half (device_block_translation, src/machines/semantics/pciAts.ts).
    let cur = s;
    if (g.translation?.ats) {
      for (const i of presentDevices(s, group)) {
        if (blocked(i)) continue;
        const r = env.k.device_block_translation(env, cur, { dev: i, domain });
        if (r.ok) cur = r.next;
      }
    }
    // for_each_group_device: the group's list, not every slot. Each member goes through
    // __iommu_device_set_domain (reserved regions, ./iommuResv.ts: -EINVAL for a require_direct
    // member and the blocking domain); on an error the kernel reverts the members already moved,
    // which here is returning the error with the state untouched.
    // With IOMMU_SET_DOMAIN_MUST_SUCCEED the kernel keeps going past a failing member, which stays
    // on its old domain, sets group->domain anyway and returns the error (the caller WARNs).
    let failed: KernelErr | null = null;
    for (const i of presentDevices(cur, group)) {
      if (blocked(i)) continue;
      const r = env.k.__iommu_device_set_domain(env, cur, { dev: i, domain });
      if (r.ok) cur = r.next;
      else if (!mustSucceed) return r;
      else failed ??= err(r.errno, r.reason);
    }
    const next = updateGroup(cur, group, { domain });
    return failed ? errAfter(failed.errno, failed.reason, next) : ok(next);
  },

  /** __iommu_group_set_core_domain (iommu.c): blocking domain if owned, else default domain. */
  __iommu_group_set_core_domain(env, s, { group }) {
    const domain = s.groups[group]!.owner ? BLOCKING_DOMAIN : DEFAULT_DOMAIN;
    const r = env.k.__iommu_group_set_domain(env, s, { group, domain, mustSucceed: true });
    return r.ok ? r : ok(warnOn(r.after ?? s, `__iommu_group_set_core_domain: must-succeed attach failed: -${r.errno}`));
  },

  /**
   * __iommu_attach_group (iommu.c): -EBUSY when group->domain is set and is neither the default
   * nor the blocking domain (replace must be used instead). No ownership check.
   */
  __iommu_attach_group(env, s, { group, domain }) {
    const cur = s.groups[group]!.domain;
    if (cur !== null && cur !== DEFAULT_DOMAIN && cur !== BLOCKING_DOMAIN) {
      return err('EBUSY', `group->domain is ${cur}`);
    }
    return env.k.__iommu_group_set_domain(env, s, { group, domain });
  },

  /**
   * iommu_attach_device (iommu.c): -ENODEV without a group; -EINVAL unless the group has exactly
   * one device *now* (a point-in-time check, W3); then __iommu_attach_group.
   */
  iommu_attach_device(env, s, { dev, domain }) {
    if (!s.devices[dev]?.present) return err('ENODEV', 'the device has no IOMMU group');
    const group = groupOf(env.scenario, dev);
    const n = presentDevices(s, group).length;
    if (n !== 1) return err('EINVAL', `the group has ${n} devices (list_count_nodes != 1)`);
    return env.k.__iommu_attach_group(env, s, { group, domain });
  },

  /**
   * iommu_detach_device (iommu.c): WARN_ON(domain != group->domain || device count != 1) and do
   * nothing (the domain stays attached); else back to the core domain.
   */
  iommu_detach_device(env, s, { dev, domain }) {
    if (!s.devices[dev]?.present) return ok(s);
    const group = groupOf(env.scenario, dev);
    if (s.groups[group]!.domain !== domain || presentDevices(s, group).length !== 1) {
      return ok(warnOn(s, 'iommu_detach_device: WARN_ON(domain != group->domain || count != 1), detach skipped'));
    }
    return env.k.__iommu_group_set_core_domain(env, s, { group });
  },

  /** iommu_attach_group (iommu.c): __iommu_attach_group; no device-count or owner check (W16). */
  iommu_attach_group(env, s, { group, domain }) {
    return env.k.__iommu_attach_group(env, s, { group, domain });
  },

  /** iommu_detach_group (iommu.c): back to the core domain; the domain argument is ignored. */
  iommu_detach_group(env, s, { group }) {
    return env.k.__iommu_group_set_core_domain(env, s, { group });
  },

  /**
   * iommu_attach_group_handle (iommu.c): reserves pasid_array[IOMMU_NO_PASID] (-EBUSY if taken),
   * then __iommu_attach_group; on error the slot is released.
   */
  iommu_attach_group_handle(env, s, { group, domain }) {
    if (s.groups[group]!.pasid_array.some((e) => e.pasid === IOMMU_NO_PASID)) {
      return err('EBUSY', 'pasid_array[IOMMU_NO_PASID] is in use');
    }
    const r = env.k.__iommu_attach_group(env, s, { group, domain });
    if (!r.ok) return r;
    return ok(updateGroup(r.next, group, { pasid_array: sortPasids([...r.next.groups[group]!.pasid_array, { pasid: IOMMU_NO_PASID, domain }]) }));
  },

  /** iommu_detach_group_handle (iommu.c): core domain, erase pasid_array[IOMMU_NO_PASID]. */
  iommu_detach_group_handle(env, s, { group }) {
    const r = env.k.__iommu_group_set_core_domain(env, s, { group });
    if (!r.ok) return r;
    return ok(updateGroup(r.next, group, { pasid_array: r.next.groups[group]!.pasid_array.filter((e) => e.pasid !== IOMMU_NO_PASID) }));
  },

  /**
   * iommu_replace_group_handle (iommu.c): switches the group with no "current must be a core
   * domain" precondition (user domain to user domain without passing through blocking).
   */
  iommu_replace_group_handle(env, s, { group, domain }) {
    const r = env.k.__iommu_group_set_domain(env, s, { group, domain });
    if (!r.ok) return r;
    const rest = r.next.groups[group]!.pasid_array.filter((e) => e.pasid !== IOMMU_NO_PASID);
    return ok(updateGroup(r.next, group, { pasid_array: sortPasids([...rest, { pasid: IOMMU_NO_PASID, domain }]) }));
  },

  /**
   * iommu_attach_device_pasid (iommu.c): -ENODEV without a group; -EBUSY when the PASID is in
   * use; set_dev_pasid on every member with max_pasids > 0. No group-size, owner or driver check
   * (W17). The IOMMU driver's set_dev_pasid refusing a device whose PASID capability was not
   * enabled (pci_enable_pasid failed its ACS RR+UF check, drivers/pci/ats.c) is modelled as
   * -EINVAL: the PCI gate is the real SVA gate (kernel-semantics.md 4(b)).
   */
  iommu_attach_device_pasid(env, s, { dev, pasid, domain }) {
    if (!s.devices[dev]?.present) return err('ENODEV', 'the device has no IOMMU group');
    const group = groupOf(env.scenario, dev);
    // Staged resets (b296ca1fb43a): "a concurrent attach during device recovery" is rejected.
    const recovering = s.groups[group]!.recovery_cnt ?? 0;
    if (recovering > 0) return err('EBUSY', `group->recovery_cnt is ${recovering}: a device of the group is being reset`);
    if (s.groups[group]!.pasid_array.some((e) => e.pasid === pasid)) return err('EBUSY', `PASID ${pasid} is in use`);
    for (const i of presentDevices(s, group)) {
      const spec = env.scenario.devices[i];
      if (spec?.pasid && !pasidEnabled(spec)) {
        return err('EINVAL', `${spec.name}: PASID not enabled (pci_enable_pasid: no ACS RR+UF on the path)`);
      }
    }
    return ok(updateGroup(s, group, { pasid_array: sortPasids([...s.groups[group]!.pasid_array, { pasid, domain }]) }));
  },

  /**
   * iommu_detach_device_pasid (iommu.c): parks the PASID on the blocked domain; erases the entry.
   * With PASID values in the scenario (GroupState.iopf), __iommu_remove_group_pasid first runs
   * the driver's remove_dev_pasid on every member with a PASID range, where intel-iommu drains the
   * PASID's page requests (intel_drain_pasid_prq -> iopf_queue_flush_dev), before the entry goes.
   */
  iommu_detach_device_pasid(env, s, { dev, pasid }) {
    const group = groupOf(env.scenario, dev);
    let cur = s;
    if (s.groups[group]!.iopf) {
      for (const i of presentDevices(s, group)) {
        if (maxPasidOf(env.scenario, i) === 0) continue;
        const r = env.k.intel_drain_pasid_prq(env, cur, { dev: i, pasid });
        if (r.ok) cur = r.next;
      }
    }
    return ok(updateGroup(cur, group, { pasid_array: cur.groups[group]!.pasid_array.filter((e) => e.pasid !== pasid) }));
  },

  /** iommu_domain_free: a driver frees its private domain (it is no longer live). */
  iommu_domain_free(_env, s, { domain }) {
    const m = /^private:(\d+)$/.exec(domain);
    if (!m) return ok(s);
    const dev = Number(m[1]);
    return ok({ ...s, devices: s.devices.map((d, i) => (i === dev ? patchDevice(d, { private_domain: false }) : d)) });
  },
};

/** Keeps pasid_array sorted by PASID so equal arrays serialize equally. */
export const sortPasids = <T extends { pasid: number }>(a: T[]): T[] => a.sort((x, y) => x.pasid - y.pasid);

/** The private domain a driver of `dev` allocates (re-exported for the drivers' code paths). */
export const driverPrivateDomain = privateDomain;
