/**
 * The type of a group's DMA-API default domain: drivers/iommu/iommu.c, iommu_setup_default_domain
 * with iommu_get_def_domain_type (hunks ids 736531581, 6342146169; the 2023 rework folds the rule
 * into iommu_get_default_domain_type) and dma-iommu.c's iommu_dma_init_domain (keeps DMA-FQ only
 * with IOMMU_CAP_DEFERRED_FLUSH and a working iommu_dma_init_fq; the model assumes both).
 */
import { err, ok } from '../../kernel/errno.ts';
import { translationOf, withTranslation } from '../translation.ts';
import type { Kernel } from './kernel.ts';

type DefaultDomainFns = Pick<Kernel, 'iommu_setup_default_domain' | 'iommu_group_store_type'>;

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

  /**
   * iommu_group_store_type (iommu.c, read at gregkh/linux 17194cd0dd23), for "DMA-FQ" written to
   * the group's sysfs `type` file (CAP_SYS_ADMIN and CAP_SYS_RAWIO): "We can bring up a flush
   * queue without tearing down the domain": if the default domain is IOMMU_DOMAIN_DMA,
   * iommu_dma_init_fq and its type becomes IOMMU_DOMAIN_DMA_FQ, with drivers bound, before and
   * without the owner_cnt test (-EPERM) that guards every other change, and without
   * iommu_get_def_domain_type: an untrusted member does not stop it (boot gave the group a strict
   * domain because of it). Simplification: iommu_dma_init_fq is taken to succeed (the driver has
   * IOMMU_CAP_DEFERRED_FLUSH); the other writes ("DMA", "identity", "auto": -EPERM while
   * owner_cnt > 0, else iommu_setup_default_domain with a new domain) are not modelled.
   */
  iommu_group_store_type(env, s, { group }) {
    const t = translationOf(s, group);
    if (!t) return err('EINVAL', 'the group has no DMA-API default domain in this model (no DMA actor)');
    if (t.pagetable.type !== 'DMA') return err('EPERM', 'the default domain is DMA-FQ already: not the live DMA -> DMA-FQ switch, and the full change needs owner_cnt == 0 (not modelled)');
    return ok(withTranslation(s, group, { ...t, pagetable: { ...t.pagetable, type: 'DMA-FQ' } }));
  },
};
