/**
 * The type of a group's DMA-API default domain: drivers/iommu/iommu.c, iommu_setup_default_domain
 * with iommu_get_def_domain_type (hunks ids 736531581, 6342146169; the 2023 rework folds the rule
 * into iommu_get_default_domain_type) and dma-iommu.c's iommu_dma_init_domain (keeps DMA-FQ only
 * with IOMMU_CAP_DEFERRED_FLUSH and a working iommu_dma_init_fq; the model assumes both).
 */
import { ok } from '../../kernel/errno.ts';
import { translationOf, withTranslation } from '../translation.ts';
import type { Kernel } from './kernel.ts';

type DefaultDomainFns = Pick<Kernel, 'iommu_setup_default_domain'>;

export const defaultDomain: DefaultDomainFns = {
  /**
   * iommu_setup_default_domain (iommu.c), for a group with a DMA-API default domain: the type is
   * iommu_def_domain_type (iommu.strict=1: IOMMU_DOMAIN_DMA, iommu.strict=0: IOMMU_DOMAIN_DMA_FQ),
   * except that iommu_get_def_domain_type returns IOMMU_DOMAIN_DMA when a member is untrusted
   * (`if (dev_is_pci(dev) && to_pci_dev(dev)->untrusted) return IOMMU_DOMAIN_DMA;`): an external
   * device never gets the lazy flush queue. Run once per group before any actor acts.
   */
  iommu_setup_default_domain(env, s, { group }) {
    const t = translationOf(s, group);
    if (!t) return ok(s);
    const untrusted = (s.groups[group]?.devices ?? []).some((i) => env.scenario.devices[i]?.untrusted === true);
    const type = untrusted || env.scenario.invalidation !== 'lazy' ? 'DMA' : 'DMA-FQ';
    return type === t.pagetable.type ? ok(s) : ok(withTranslation(s, group, { ...t, pagetable: { ...t.pagetable, type } }));
  },
};
