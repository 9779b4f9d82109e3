/**
 * Staged-reset variants (issue 16): the designs the 7.1 rework replaced or that its commits argue
 * against, each breaking I20 (BlockedForReset) on the reset scenarios. They run by default only
 * on those scenarios (Variant.scenarios), so no other scenario gains a manifest row.
 */
import { BLOCKING_DOMAIN } from '../../kernel/domains.ts';
import { err, ok } from '../../kernel/errno.ts';
import { currentKernel } from '../semantics/index.ts';
import type { Env } from '../semantics/kernel.ts';
import { groupOf, presentDevices, updateDevice, updateGroup, warnOn, type SystemState } from '../state.ts';
import { defineVariant } from './defineVariant.ts';

const RESET_SCENARIOS = ['pci-reset-staged', 'pci-reset-dma-alias'];

/** The IOMMU core stages this device's reset (pci_ats_supported, present). */
const staged = (env: Env, s: SystemState, dev: number): boolean => env.k.pci_ats_supported(env, s, { dev }).ok && s.devices[dev]?.present === true;

/**
 * (a) Re-entrant prepare/done without gdev->reset_depth: a nested prepare of a blocked device
 * returns 0 and the first done unblocks it, so the inner method's done (pci_reset_bus_function
 * inside cxl_reset_bus_function, pcie_flr inside a quirk's firmware wait) ends the fence while
 * the outer reset still runs.
 */
export const resetDoneIgnoresDepth = defineVariant({
  name: 'reset-done-ignores-depth',
  kind: 'seeded',
  description:
    'pci_dev_reset_iommu_prepare/done are re-entrant but keep no reset_depth: a nested prepare of a blocked device returns 0, and the inner reset method\'s done unblocks the device while the outer method still resets it.',
  source: 'the premature unblock 0d5fd7a9323c ("iommu: Fix nested pci_dev_reset_iommu_prepare/done()") avoids: "If the IOMMU protection relies solely on the inner reset, the IOMMU will be unblocked prematurely while the device is still resetting" (Kevin Tian, reset_hinic_vf_dev)',
  breaks: ['I20'],
  showcase: 'pci-reset-staged',
  scenarios: RESET_SCENARIOS,
  overrides: {
    pci_dev_reset_iommu_prepare(env, s, { dev }) {
      if (s.devices[dev]?.blocked === true) return ok(s);
      return currentKernel.pci_dev_reset_iommu_prepare(env, s, { dev });
    },
    pci_dev_reset_iommu_done(env, s, { dev }) {
      if (s.devices[dev]?.blocked !== true) return ok(s);
      return currentKernel.pci_dev_reset_iommu_done(env, updateDevice(s, dev, { reset_depth: 1 }), { dev });
    },
  },
});

/**
 * (b) The IOMMU driver parks only the device's own requester ID, not the DMA aliases
 * pci_for_each_dma_alias yields: a sibling sharing the ID keeps its domain during the reset.
 */
export const resetAliasSiblingUnblocked = defineVariant({
  name: 'reset-alias-sibling-unblocked',
  kind: 'seeded',
  description:
    '__iommu_attach_device programs only the device\'s own requester ID, not its DMA aliases: when a reset parks a device on the blocking domain, a function sharing its requester ID keeps the shared context entry on its old domain.',
  source: 'seeded: the aliased-sibling case 5474e6e17a26 ("devices might share the same RID due to PCI DMA alias quirks") and 15dd29ca6206 reason about',
  breaks: ['I20'],
  showcase: 'pci-reset-dma-alias',
  scenarios: RESET_SCENARIOS,
  overrides: {
    __iommu_attach_device(_env, s, { dev, domain }) {
      return s.devices[dev]?.present ? ok(updateDevice(s, dev, { hw: domain })) : err('ENODEV', 'the device has no IOMMU group');
    },
  },
});

/**
 * (c) One group-wide flag instead of per-device blocking and a count: the reset fence as posted
 * in March 2026 (group->resetting_domain, re-entry allowed: "Already prepared ... return 0").
 * The flag is the model's recovery_cnt held at 0 or 1; `blocked` marks the devices the flag's
 * holder parked, and clearing the flag un-parks the whole group, as the single pointer does.
 */
export const resetResettingDomainPerGroup = defineVariant({
  name: 'reset-resetting-domain-per-group',
  kind: 'proposed',
  description:
    'The reset fence as one group-wide resetting_domain pointer: a second device\'s prepare while it is set returns 0 without parking that device ("Already prepared"), and any done clears it for the whole group, re-opening attaches while the first device still resets.',
  source:
    'c279e83953d9 ("iommu: Introduce pci_dev_reset_iommu_prepare/done()", v7.0) with the re-entry of "Drop the WARN_ON in pci_dev_reset_iommu_prepare() to allow re-entries" (Nicolin Chen, 5 Mar 2026); replaced by b296ca1fb43a ("Replace per-group resetting_domain with per-gdev blocked flag")',
  breaks: ['I20'],
  showcase: 'pci-reset-staged',
  scenarios: RESET_SCENARIOS,
  overrides: {
    pci_dev_reset_iommu_prepare(env, s, { dev }) {
      if (!staged(env, s, dev)) return ok(s);
      const group = groupOf(env.scenario, dev);
      if ((s.groups[group]!.recovery_cnt ?? 0) > 0) return ok(s); // "Already prepared"
      let cur = updateGroup(s, group, { blocking_domain: true });
      if (cur.groups[group]!.domain !== BLOCKING_DOMAIN) {
        const r = env.k.__iommu_attach_device(env, cur, { dev, domain: BLOCKING_DOMAIN });
        if (!r.ok) return r;
        cur = r.next;
      }
      return ok(updateGroup(updateDevice(cur, dev, { blocked: true, reset_depth: 1 }), group, { recovery_cnt: 1 }));
    },
    pci_dev_reset_iommu_done(env, s, { dev }) {
      if (!staged(env, s, dev)) return ok(s);
      const group = groupOf(env.scenario, dev);
      const g = s.groups[group]!;
      if ((g.recovery_cnt ?? 0) === 0) return ok(s); // "pci_dev_reset_iommu_prepare() was bypassed for the device"
      if (!g.blocking_domain) return ok(warnOn(s, 'pci_dev_reset_iommu_done: WARN_ON(!group->blocking_domain)'));
      let cur = s;
      if (g.domain !== null && g.domain !== BLOCKING_DOMAIN) {
        const r = env.k.__iommu_attach_device(env, cur, { dev, domain: g.domain });
        cur = r.ok ? r.next : warnOn(cur, `pci_dev_reset_iommu_done: WARN_ON(__iommu_attach_device): -${r.errno}`);
      }
      // group->resetting_domain = NULL: no device of the group counts as parked any more.
      for (const i of presentDevices(cur, group)) if (cur.devices[i]?.blocked) cur = updateDevice(cur, i, { blocked: false, reset_depth: 0 });
      return ok(updateGroup(cur, group, { recovery_cnt: 0 }));
    },
    // "if (group->resetting_domain) return -EBUSY;", must-succeed callers included.
    __iommu_group_set_domain(env, s, a) {
      const g = s.groups[a.group]!;
      if (g.domain !== a.domain && (g.recovery_cnt ?? 0) > 0) return err('EBUSY', 'group->resetting_domain is set: a device of the group is being reset');
      return currentKernel.__iommu_group_set_domain(env, s, a);
    },
  },
});

export const RESET_VARIANTS = [resetDoneIgnoresDepth, resetAliasSiblingUnblocked, resetResettingDomainPerGroup];
