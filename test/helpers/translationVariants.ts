/**
 * Variants of the translation path that break its invariants (docs/design/translation-path.md
 * section 4), kept in the tests: a built-in variant would add a manifest row to every scenario.
 */
import { ok } from '../../src/kernel/errno.ts';
import { currentKernel } from '../../src/machines/semantics/index.ts';
import { groupOf } from '../../src/machines/state.ts';
import { translationOf, withTranslation } from '../../src/machines/translation.ts';
import { defineVariant, type Variant } from '../../src/machines/variants/index.ts';

/** STALE (a): __iommu_dma_unmap clears the PTE and frees the IOVA without iommu_iotlb_sync. */
export const unmapWithoutSync: Variant = defineVariant({
  name: 'dma-unmap-without-iotlb-sync',
  kind: 'seeded',
  description: '__iommu_dma_unmap clears the PTE and returns without iommu_iotlb_sync, even on a strict (DMA) domain.',
  source: 'docs/design/translation-path.md section 4, STALE (a)',
  breaks: ['STALE'],
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
  overrides: {
    iommu_setup_default_domain(env, s, { group }) {
      const t = translationOf(s, group);
      if (!t) return ok(s);
      return ok(withTranslation(s, group, { ...t, pagetable: { ...t.pagetable, type: env.scenario.invalidation === 'lazy' ? 'DMA-FQ' : 'DMA' } }));
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
  overrides: {
    iommu_dma_map_page(env, s, a) {
      const trusted = { ...env.scenario, devices: env.scenario.devices.map((d) => ({ ...d, untrusted: false })) };
      return currentKernel.iommu_dma_map_page({ ...env, scenario: trusted }, s, a);
    },
  },
});
