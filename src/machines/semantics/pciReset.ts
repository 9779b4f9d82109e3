/**
 * Staged PCI resets on the IOMMU side (issue 16): drivers/iommu/iommu.c pci_dev_reset_iommu_prepare
 * / pci_dev_reset_iommu_done and __iommu_attach_device, as reworked for 7.1 and backported to
 * 7.0-stable (docs/kernel-notes.md section 11): per device `blocked` (b296ca1fb43a) and
 * `reset_depth` (0d5fd7a9323c), the group's `recovery_cnt` fence with must-succeed callers let
 * through (5474e6e17a26, in iommuDomains.ts), no re-attach to a NULL group->domain (d769711fcddd),
 * and the WARN when an aliased sibling is unblocked early (15dd29ca6206, title only [I]).
 *
 * Simplifications: the blocking domain's allocation and the driver's attach never fail (no
 * -ENOMEM); the device's PASIDs are parked exactly while it is `blocked` (iommu_remove_dev_pasid
 * in prepare, __iommu_set_group_pasid in done), so they are not separate hardware state.
 */
import { BLOCKING_DOMAIN } from '../../kernel/domains.ts';
import { errAfter, ok } from '../../kernel/errno.ts';
import { dmaAliasSiblings, programRids } from '../reset.ts';
import { groupOf, updateDevice, updateGroup, warnOn, type SystemState } from '../state.ts';
import { translationOf } from '../translation.ts';
import type { Env, Kernel } from './kernel.ts';

type PciResetFns = Pick<Kernel, 'pci_dev_reset_iommu_prepare' | 'pci_dev_reset_iommu_done' | '__iommu_attach_device'>;

/** The IOMMU core stages the reset of `dev` (iommu.c: `if (!pci_ats_supported(pdev) || !dev_has_iommu(&pdev->dev)) return 0;`). */
const staged = (env: Env, s: SystemState, dev: number): boolean => env.k.pci_ats_supported(env, s, { dev }).ok && s.devices[dev]?.present === true;

export const pciReset: PciResetFns = {
  /**
   * pci_dev_reset_iommu_prepare (iommu.c): no-op (0) unless pci_ats_supported; `if
   * (gdev->reset_depth++) return 0;` (only the outermost call acts); allocate the blocking domain;
   * if group->domain is not it, __iommu_attach_device(blocking_domain, dev); `gdev->blocked =
   * true`; the device's PASIDs are removed (pasid_array kept); `group->recovery_cnt++`.
   * group->domain is left as it was.
   */
  pci_dev_reset_iommu_prepare(env, s, { dev }) {
    if (!staged(env, s, dev)) return ok(s);
    const d = s.devices[dev]!;
    const depth = d.reset_depth ?? 0;
    if (depth > 0) return ok(updateDevice(s, dev, { reset_depth: depth + 1 }));
    const group = groupOf(env.scenario, dev);
    let cur = updateGroup(s, group, { blocking_domain: true });
    if (cur.groups[group]!.domain !== BLOCKING_DOMAIN) {
      const r = env.k.__iommu_attach_device(env, cur, { dev, domain: BLOCKING_DOMAIN });
      if (!r.ok) return r;
      cur = r.next;
    }
    cur = updateDevice(cur, dev, { blocked: true, reset_depth: 1 });
    return ok(updateGroup(cur, group, { recovery_cnt: (cur.groups[group]!.recovery_cnt ?? 0) + 1 }));
  },

  /**
   * pci_dev_reset_iommu_done (iommu.c, void): no-op unless pci_ats_supported; `WARN_ON(reset_depth
   * == 0)` (unbalanced); `if (--gdev->reset_depth) return;` (an inner done keeps the device
   * blocked); if group->domain is set and is not the blocking domain, __iommu_attach_device(
   * group->domain, dev) -- the domain the group has now, which a must-succeed path may have
   * changed during the reset; `gdev->blocked = false`; PASIDs re-set; `recovery_cnt--` (WARN at 0).
   * The re-attach reprograms the requester IDs DMA-alias siblings share: a sibling still blocked
   * is unblocked early, which the kernel only warns about (15dd29ca6206, "Warn on premature
   * unblock during DMA aliased sibling reset").
   */
  pci_dev_reset_iommu_done(env, s, { dev }) {
    if (!staged(env, s, dev)) return ok(s);
    const depth = s.devices[dev]!.reset_depth ?? 0;
    if (depth === 0) return ok(warnOn(s, 'pci_dev_reset_iommu_done: WARN_ON(gdev->reset_depth == 0): unbalanced done'));
    if (depth > 1) return ok(updateDevice(s, dev, { reset_depth: depth - 1 }));
    const group = groupOf(env.scenario, dev);
    const g = s.groups[group]!;
    let cur = s;
    if (g.domain !== null && g.domain !== BLOCKING_DOMAIN) {
      const early = dmaAliasSiblings(env.scenario, dev).find((j) => s.devices[j]?.present && s.devices[j]?.blocked === true);
      if (early !== undefined) cur = warnOn(cur, `pci_dev_reset_iommu_done: premature unblock of DMA aliased sibling ${env.scenario.devices[early]?.name} still in reset`);
      const r = env.k.__iommu_attach_device(env, cur, { dev, domain: g.domain });
      cur = r.ok ? r.next : warnOn(cur, `pci_dev_reset_iommu_done: WARN_ON(__iommu_attach_device): -${r.errno}`);
    }
    cur = updateDevice(cur, dev, { blocked: false, reset_depth: 0 });
    const n = cur.groups[group]!.recovery_cnt ?? 0;
    if (n === 0) return ok(warnOn(cur, 'pci_dev_reset_iommu_done: WARN_ON(group->recovery_cnt == 0)'));
    return ok(updateGroup(cur, group, { recovery_cnt: n - 1 }));
  },

  /**
   * __iommu_attach_device (iommu.c): the driver's attach_dev of one device, with no group-level
   * checks (require_direct is checked in __iommu_device_set_domain, not here [V], see ./iommuResv.ts). The driver
   * programs every requester ID pci_for_each_dma_alias yields, so DMA-alias siblings follow;
   * attaching to the blocking domain first takes ATS off the device (the driver's
   * blocking-domain attach, device_block_translation) in groups with ATS state.
   */
  __iommu_attach_device(env, s, { dev, domain }) {
    if (!s.devices[dev]?.present) return errAfter('ENODEV', 'the device has no IOMMU group', s);
    let cur = s;
    if (domain === BLOCKING_DOMAIN && translationOf(s, groupOf(env.scenario, dev))?.ats) {
      const r = env.k.device_block_translation(env, cur, { dev, domain });
      if (r.ok) cur = r.next;
    }
    return ok(programRids(env.scenario, cur, dev, domain));
  },
};
