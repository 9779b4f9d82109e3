/**
 * Variants of the translation path (issue 15) that break its invariants
 * (docs/design/translation-path.md section 4), and the 2026 "ATS always on" rule. Each runs by
 * default only on the translation scenarios that exercise its rule (Variant.scenarios), so no
 * other scenario gains a manifest row; `showcase` names the one its counterexample is shown on.
 */
import { err, ok } from '../../kernel/errno.ts';
import { currentKernel } from '../semantics/index.ts';
import { groupOf, type SystemState } from '../state.ts';
import { translationOf, withTranslation } from '../translation.ts';
import { defineVariant, type Variant } from './defineVariant.ts';

/** STALE (a): __iommu_dma_unmap clears the PTE and frees the IOVA without iommu_iotlb_sync. */
export const unmapWithoutSync: Variant = defineVariant({
  name: 'dma-unmap-without-iotlb-sync',
  kind: 'seeded',
  description: '__iommu_dma_unmap clears the PTE and returns without iommu_iotlb_sync, even on a strict (DMA) domain.',
  source: 'docs/design/translation-path.md section 4, STALE (a)',
  breaks: ['STALE'],
  showcase: 'dma-api-unmap-strict',
  scenarios: ['dma-api-unmap-strict', 'ats-invalidation-order'],
  overrides: {
    __iommu_dma_unmap(env, s, { dev, iova }) {
      const g = groupOf(env.scenario, dev);
      const t = translationOf(s, g)!;
      const ptes = t.pagetable.ptes.map((p, i) => (i === iova ? null : p));
      return ok(withTranslation(s, g, { ...t, pagetable: { ...t.pagetable, ptes } }));
    },
  },
});

/** STALE-UNTRUSTED: iommu_get_def_domain_type without the untrusted rule (the default domain follows iommu.strict alone). */
export const defaultDomainIgnoresUntrusted: Variant = defineVariant({
  name: 'default-domain-ignores-untrusted',
  kind: 'seeded',
  description: 'iommu_setup_default_domain gives an untrusted device a DMA-FQ default domain under iommu.strict=0.',
  source: 'docs/design/translation-path.md section 4, STALE-UNTRUSTED',
  breaks: ['STALE-UNTRUSTED', 'STALE'],
  showcase: 'dma-api-untrusted-lazy',
  scenarios: ['dma-api-untrusted-lazy', 'dma-api-external-lazy', 'dma-api-untrusted-sysfs-fq'],
  overrides: {
    iommu_setup_default_domain(env, s, { group }) {
      const t = translationOf(s, group);
      if (!t) return ok(s);
      return ok(withTranslation(s, group, { ...t, pagetable: { ...t.pagetable, type: env.scenario.invalidation === 'lazy' ? 'DMA-FQ' : 'DMA' } }));
    },
  },
});

/**
 * The fix of the pinned kernel's sysfs hole (dma-api-untrusted-sysfs-fq): iommu_group_store_type's
 * live DMA -> DMA-FQ switch re-checks what iommu_get_def_domain_type says of the members, as
 * iommu_change_dev_def_domain did before the 2023 default-domain rework ("Device cannot be in
 * DMA-FQ domain", -EINVAL): a group with an untrusted member keeps its strict domain.
 */
export const storeTypeRechecksUntrusted: Variant = defineVariant({
  name: 'store-type-rechecks-untrusted',
  kind: 'proposed',
  description: 'iommu_group_store_type refuses DMA-FQ (-EINVAL) for a group with an untrusted member, as boot does: an external device never gets the flush queue.',
  source: 'iommu-mc finding on gregkh/linux 17194cd0dd23 (iommu_group_store_type, drivers/iommu/iommu.c); the check iommu_change_dev_def_domain made before the rework',
  breaks: [],
  showcase: 'dma-api-untrusted-sysfs-fq',
  scenarios: ['dma-api-untrusted-sysfs-fq'],
  overrides: {
    iommu_group_store_type(env, s, a) {
      const untrusted = (s.groups[a.group]?.devices ?? []).find((i) => env.scenario.devices[i]?.untrusted === true);
      if (untrusted !== undefined) return err('EINVAL', `${env.scenario.devices[untrusted]!.name} is untrusted: iommu_get_def_domain_type says IOMMU_DOMAIN_DMA, the device cannot be in a DMA-FQ domain`);
      return currentKernel.iommu_group_store_type(env, s, a);
    },
  },
});

/** SUBPAGE: iommu_dma_map_page before the dma-iommu bounce series (dev_use_swiotlb false for untrusted devices). */
export const mapWithoutBounce: Variant = defineVariant({
  name: 'dma-map-without-bounce',
  kind: 'historical',
  description: 'iommu_dma_map_page maps an untrusted device\'s sub-page buffer in place, without a swiotlb bounce slot.',
  source: 'dma-iommu.c before David Stevens\' bounce series (20210929023300.335969-6-stevensd@google.com, about v5.16)',
  breaks: ['SUBPAGE'],
  showcase: 'dma-api-untrusted-subpage',
  scenarios: ['dma-api-untrusted-subpage'],
  overrides: {
    iommu_dma_map_page(env, s, a) {
      const trusted = { ...env.scenario, devices: env.scenario.devices.map((d) => ({ ...d, untrusted: false })) };
      return currentKernel.iommu_dma_map_page({ ...env, scenario: trusted }, s, a);
    },
  },
});

/** ATS-TRUST: pci_ats_supported before the untrusted test (the v5.5 pci_enable_ats checked only ats_cap). */
export const atsForUntrusted: Variant = defineVariant({
  name: 'ats-for-untrusted',
  kind: 'historical',
  description: 'pci_ats_supported checks only the ATS capability: an untrusted (external-facing) device gets ATS.',
  source: 'drivers/pci/ats.c before pci_ats_supported (torvalds/linux @ 2e34673b, about v5.5); docs/design/translation-path.md section 4, ATS-TRUST',
  breaks: ['ATS-TRUST'],
  showcase: 'ats-untrusted',
  scenarios: ['ats-untrusted'],
  overrides: {
    pci_ats_supported(env, s, { dev }) {
      return env.scenario.devices[dev]?.ats === true ? ok(s) : currentKernel.pci_ats_supported(env, s, { dev });
    },
  },
});

/** ATS-TRUST: pci_std_enable_acs without the Translation Blocking clause (before Rajat Jain's patch, about v5.8). */
export const acsWithoutTranslationBlocking: Variant = defineVariant({
  name: 'acs-without-translation-blocking',
  kind: 'historical',
  description: 'pci_std_enable_acs never sets ACS Translation Blocking, not even on external-facing ports.',
  source: '"PCI/ACS: Enable Translation Blocking for external devices" (Rajat Jain) not applied; docs/design/translation-path.md section 4, ATS-TRUST',
  breaks: ['ATS-TRUST'],
  showcase: 'ats-translated-peer',
  scenarios: ['ats-translated-peer'],
  overrides: {
    pci_std_enable_acs(_env, s) {
      return ok(s);
    },
  },
});

/** INV-ORDER: the device-TLB (ATC) invalidated before the IOTLB: the two halves of iotlb_sync swapped. */
export const atcBeforeIotlb: Variant = defineVariant({
  name: 'atc-before-iotlb',
  kind: 'seeded',
  description: "The IOMMU driver's iotlb_sync invalidates the device's ATC first and the IOTLB after it.",
  source: 'docs/design/translation-path.md section 4, INV-ORDER',
  breaks: ['INV-ORDER', 'STALE'],
  showcase: 'ats-invalidation-order',
  scenarios: ['ats-invalidation-order', 'ats-invalidation-order-smmuv3'],
  overrides: {
    iommu_iotlb_sync: (env, s, a) => currentKernel.iommu_flush_dev_iotlb(env, s, a),
    iommu_flush_dev_iotlb: (env, s, a) => currentKernel.iommu_iotlb_sync(env, s, a),
  },
});

/** Step 7, the 2026 rule: ATS stays on across a domain switch and the device's ATC is flushed instead (arm_smmu_attach_commit). */
export const atsAlwaysOn: Variant = defineVariant({
  name: 'ats-always-on',
  kind: 'proposed',
  description: 'ATS stays enabled while the RID moves to another domain (blocking, identity); the IOMMU driver flushes the device\'s ATC instead.',
  // The closest kernel behaviour today is intel's scalable mode (ATS on from probe to release, the ATC flushed in
  // intel_pasid_tear_down_entry); the v7.2 series keeps ATS only on the identity domain (docs/kernel-notes.md 10.7).
  source: 'intel scalable mode (intel_pasid_tear_down_entry: PASID cache, IOTLB, then device-TLB flush; ATS kept); 073e63812525 "PCI: Allow ATS to be always on for pre-CXL devices", 5ff98a0da6b4 "iommu/arm-smmu-v3: Allow ATS to be always on" (v7.2, identity domain only); kernel-2026.md 1.6, kernel-notes 10.7',
  breaks: [],
  showcase: 'ats-vfio-claim-lazy',
  scenarios: ['ats-vfio-claim-lazy'],
  overrides: {
    device_block_translation(env, s, { dev }) {
      const g = groupOf(env.scenario, dev);
      const t = translationOf(s, g);
      if (!t?.ats) return ok(s);
      return ok(withTranslation(s, g, { ...t, ats: { ...t.ats, atc: t.ats.atc.filter((e) => e.dev !== dev) } }));
    },
  },
});

/** Step 7, broken: ATS always on without flushing the ATC on the domain switch. */
export const atsAlwaysOnWithoutAtcFlush: Variant = defineVariant({
  name: 'ats-always-on-without-atc-flush',
  kind: 'seeded',
  description: 'ATS stays enabled while the RID moves to another domain, and the device keeps its ATC.',
  source: 'docs/design/translation-path.md section 4, ATS-ALWAYS-ON',
  breaks: ['INV-ORDER'],
  showcase: 'ats-vfio-claim-lazy',
  scenarios: ['ats-vfio-claim-lazy'],
  overrides: {
    device_block_translation: (_env, s) => ok(s),
  },
});

/**
 * Step 5, STALE (c): the user unmap unpins before the IOTLB sync (vfio_sync_unpin and
 * iopt_area_unpin_domain in the reverse of the kernel's order): from pte_cleared the thread
 * unpins first (phase unpinned) and syncs after, so between the two the page is free while the
 * IOTLB still maps it.
 */
export const unpinBeforeIotlbSync: Variant = defineVariant({
  name: 'unpin-before-iotlb-sync',
  kind: 'seeded',
  description: 'VFIO_IOMMU_UNMAP_DMA and IOMMU_IOAS_UNMAP unpin the user pages before iommu_iotlb_sync (the order vfio_sync_unpin and "unpin must follow unmap" in iopt_area_unpin_domain forbid).',
  source: 'docs/design/translation-path.md section 4, STALE (c)',
  breaks: ['STALE'],
  showcase: 'vfio-type1-unmap',
  scenarios: ['vfio-type1-unmap', 'iommufd-ioas-unmap'],
  overrides: {
    vfio_sync_unpin(env, s, a) {
      const u = translationOf(s, a.group)?.user?.unmap;
      if (u?.phase !== 'pte_cleared') return currentKernel.vfio_sync_unpin(env, s, a);
      const r = env.k.vfio_unpin_pages_remote(env, s, { ...a, phys: u.phys });
      return r.ok ? ok(withUserPhase(r.next, a.group, 'unpinned')) : r;
    },
    iopt_area_unpin_domain(env, s, a) {
      const u = translationOf(s, a.group)?.user?.unmap;
      if (u?.phase !== 'pte_cleared') return currentKernel.iopt_area_unpin_domain(env, s, a);
      const r = env.k.batch_unpin(env, s, { ...a, phys: u.phys });
      return r.ok ? ok(withUserPhase(r.next, a.group, 'unpinned')) : r;
    },
  },
});

/** `s` with group g's user unmap in progress moved to `phase`. */
function withUserPhase(s: SystemState, g: number, phase: 'unpinned'): SystemState {
  const t = translationOf(s, g)!;
  return withTranslation(s, g, { ...t, user: { ...t.user!, unmap: { ...t.user!.unmap!, phase } } });
}

/** PASID-REUSE: the driver's remove_dev_pasid detaches the PASID without draining its page requests. */
export const unbindWithoutDrain: Variant = defineVariant({
  name: 'unbind-without-prq-drain',
  kind: 'seeded',
  description: "iommu_sva_unbind_device detaches the PASID without draining its page requests: intel_drain_pasid_prq (and so iopf_queue_flush_dev) is skipped.",
  source: 'docs/design/translation-path.md section 4, PASID-REUSE',
  breaks: ['PASID-REUSE'],
  showcase: 'sva-pasid-reuse',
  scenarios: ['sva-pasid-reuse'],
  overrides: {
    intel_drain_pasid_prq: (_env, s) => ok(s),
  },
});

/** PASID-REUSE through DMA: the SVA driver unbinds without draining the device's work for the PASID. */
export const unbindWithoutWorkDrain: Variant = defineVariant({
  name: 'unbind-without-work-drain',
  kind: 'seeded',
  description: "The SVA driver calls iommu_sva_unbind_device with the device's work for the PASID still in flight: idxd_device_drain_pasid is skipped, so the device's PASID-tagged DMA of the old process reaches the next owner of the PASID.",
  source: 'docs/kernel-notes.md section 10.6, PASID-REUSE',
  breaks: ['PASID-REUSE'],
  showcase: 'sva-pasid-reuse',
  scenarios: ['sva-pasid-reuse'],
  overrides: {
    idxd_device_drain_pasid: (_env, s) => ok(s),
  },
});

/** The translation-path variants, in the registry's order. */
export const TRANSLATION_VARIANTS: readonly Variant[] = [
  unmapWithoutSync,
  defaultDomainIgnoresUntrusted,
  storeTypeRechecksUntrusted,
  mapWithoutBounce,
  atsForUntrusted,
  acsWithoutTranslationBlocking,
  atcBeforeIotlb,
  atsAlwaysOn,
  atsAlwaysOnWithoutAtcFlush,
  unpinBeforeIotlbSync,
  unbindWithoutDrain,
  unbindWithoutWorkDrain,
];
