/**
 * ATS on the PCI side: drivers/pci/ats.c (pci_ats_supported, pci_enable_ats, pci_disable_ats;
 * copies read: torvalds/linux @ 2e34673b (about v5.5) for enable/disable, pci_ats_supported from
 * the patch id 16163224461 and a recent copy id 67256165464) and the Translation Blocking clause
 * of pci_std_enable_acs (drivers/pci/pci.c, "PCI/ACS: Enable Translation Blocking for external
 * devices", Rajat Jain, about v5.8). docs/design/translation-path.md section 1.
 *
 * pci_ats_supported answers a yes/no question. It is a KernelResult here (ok: supported;
 * -EINVAL with the reason: not), not a boolean entry of a second kind: every caller turns "no"
 * into -EINVAL anyway (pci_enable_ats), and the trace machinery records each rule-table call as
 * a KernelResult, so "pci_ats_supported = -EINVAL (untrusted)" shows in call trees as is.
 */
import { err, errAfter, ok } from '../../kernel/errno.ts';
import { withAtsEnabled } from '../ats.ts';
import { groupOf, warnOn } from '../state.ts';
import { translationOf, withTranslation } from '../translation.ts';
import type { Kernel } from './kernel.ts';

type PciAtsFns = Pick<Kernel, 'pci_ats_supported' | 'pci_enable_ats' | 'pci_disable_ats' | 'device_block_translation' | 'pci_std_enable_acs'>;

export const pciAts: PciAtsFns = {
  /**
   * pci_ats_supported (ats.c): `if (!dev->ats_cap) return false; return
   * (dev->untrusted == 0);` (the host bridge's ats_supported and the VF -> PF delegation of newer
   * copies are not modelled: always supported). ok: supported.
   */
  pci_ats_supported(env, s, { dev }) {
    const d = env.scenario.devices[dev];
    if (d?.ats !== true) return err('EINVAL', 'pci_ats_supported: no ATS capability (!dev->ats_cap)');
    if (d.untrusted === true) return err('EINVAL', 'pci_ats_supported: dev->untrusted: an external-facing device is not trusted with ATS');
    return ok(s);
  },

  /**
   * pci_enable_ats (ats.c), called by the IOMMU driver when it attaches the device to a paging
   * domain (intel: iommu_enable_pci_caps; arm-smmu-v3: arm_smmu_enable_ats, which invalidates
   * the ATC first; amd: pdev_enable_cap_ats): `if (!pci_ats_supported(dev)) return -EINVAL; if
   * (WARN_ON(dev->ats_enabled)) return -EBUSY;` then the ATS Enable bit and `dev->ats_enabled
   * = 1`. The STU checks (`ps < PCI_ATS_MIN_STU`, VF STU != PF STU) are not modelled.
   */
  pci_enable_ats(env, s, { dev }) {
    const sup = env.k.pci_ats_supported(env, s, { dev });
    if (!sup.ok) return err('EINVAL', sup.reason);
    const g = groupOf(env.scenario, dev);
    const t = translationOf(s, g);
    if (!t?.ats) return err('EINVAL', 'the group has no ATS state in this scenario (no DMA actor with `ats: true`)');
    if (t.ats.enabled.includes(dev)) return errAfter('EBUSY', 'pci_enable_ats: WARN_ON(dev->ats_enabled)', warnOn(s, 'pci_enable_ats: WARN_ON(dev->ats_enabled)'));
    return ok(withTranslation(sup.next, g, { ...t, ats: withAtsEnabled(t.ats, dev, true) }));
  },

  /**
   * pci_disable_ats (ats.c), from the IOMMU driver's detach/release path (intel:
   * iommu_disable_pci_ats; arm-smmu-v3: arm_smmu_attach_prepare, then arm_smmu_attach_commit
   * invalidates the ATC; amd: pdev_disable_cap_ats; src/kernel/iommuDrivers.ts):
   * `if (WARN_ON(!dev->ats_enabled)) return;` then the enable bit is cleared and `dev->ats_enabled
   * = 0`. Simplification: the device's ATC is dropped with it (arm_smmu_atc_inv_master right after).
   */
  pci_disable_ats(env, s, { dev }) {
    const g = groupOf(env.scenario, dev);
    const t = translationOf(s, g);
    if (!t?.ats?.enabled.includes(dev)) return ok(warnOn(s, 'pci_disable_ats: WARN_ON(!dev->ats_enabled)'));
    return ok(withTranslation(s, g, { ...t, ats: withAtsEnabled(t.ats, dev, false) }));
  },

  /**
   * device_block_translation (intel/iommu.c), its ATS half, run for each member before the
   * group's RID moves to `domain` (__iommu_group_set_domain; intel_iommu_attach_device and the
   * blocking domain's attach both start with it): in legacy mode domain_context_clear ->
   * iommu_disable_pci_ats, so ATS is on only while the RID is on a paging domain it was enabled
   * for (pci_enable_ats is offered again on the default domain); arm-smmu-v3 and amd disable it
   * too, intel's scalable mode keeps it and flushes the ATC in intel_pasid_tear_down_entry
   * (docs/kernel-notes.md section 10.7, src/kernel/iommuDrivers.ts). The 2026 "ATS always on"
   * (073e63812525, 5ff98a0da6b4, v7.2) keeps ATS enabled across the switch and flushes the
   * device's ATC instead (arm_smmu_attach_commit: "The translation has changed, flush the ATC"):
   * a variant axis (test/helpers/translationVariants.ts).
   */
  device_block_translation(env, s, { dev }) {
    const t = translationOf(s, groupOf(env.scenario, dev));
    return t?.ats?.enabled.includes(dev) ? env.k.pci_disable_ats(env, s, { dev }) : ok(s);
  },

  /**
   * pci_std_enable_acs (drivers/pci/pci.c), its Translation Blocking clause, run at enumeration
   * on each port above the group's devices: `if (pci_ats_disabled() || dev->external_facing ||
   * dev->untrusted) ctrl |= (cap & PCI_ACS_TB);` (the SV/RR/CR/UF clauses are the topology's
   * ACS Control as given). The model calls the port directly above an untrusted device external-facing.
   */
  pci_std_enable_acs(env, s, { group, port, external_facing }) {
    const t = translationOf(s, group);
    if (!t?.ats || !external_facing || t.ats.tbPorts.includes(port)) return ok(s);
    return ok(withTranslation(s, group, { ...t, ats: { ...t.ats, tbPorts: [...t.ats.tbPorts, port].sort() } }));
  },
};
