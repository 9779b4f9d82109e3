/**
 * Cache-coherency variants (issue 16, Deliver 5): an IOMMU driver that lets a device whose IOMMU
 * cannot snoop onto a domain that promised to, or promises for a domain it cannot keep, breaking SNOOP (CoherencyEnforced) on the
 * coherency scenario. They run by default only there (Variant.scenarios).
 */
import { ok } from '../../kernel/errno.ts';
import { defineVariant } from './defineVariant.ts';

const COHERENCY_SCENARIOS = ['coherency-no-snoop', 'coherency-no-snoop-type1'];

/**
 * The VT-d driver attaches a device to a force_snooping domain without asking whether the
 * device's DMAR unit has snoop control: the snoop clause of paging_domain_compatible is gone.
 */
export const enforceCcAttachSkipsSnoopCheck = defineVariant({
  name: 'enforce-cc-attach-skips-snoop-check',
  kind: 'seeded',
  description:
    'paging_domain_compatible without `if (dmar_domain->force_snooping && !ecap_sc_support(iommu->ecap)) return -EINVAL;`: a device behind an IOMMU without snoop control joins an hwpt allocated with enforce_cache_coherency, whose claim KVM and the user rely on, and its no-snoop reads bypass the CPU caches.',
  source:
    'the check "iommu/vt-d: Block force-snoop domain attaching if no SC support" (Lu Baolu, v5.19) added, and "iommufd: Only enforce cache coherency in iommufd_hw_pagetable_alloc" (Nicolin Chen, v6.7) relies on: "the iommu driver in its attach_dev() op should decide whether to reject or not a device that doesn\'t match with the configuration of cache coherency"',
  breaks: ['SNOOP'],
  showcase: 'coherency-no-snoop',
  scenarios: COHERENCY_SCENARIOS,
  overrides: {
    paging_domain_compatible(_env, s) {
      return ok(s);
    },
  },
});

/**
 * The domain op enforce_cache_coherency says yes without asking whether the IOMMUs of the devices
 * attached to the domain can snoop (no domain_support_force_snooping): VFIO type1, which asks
 * right after attaching a group to its new domain, records a claim the hardware cannot keep.
 */
export const enforceCcClaimsWithoutSnoopControl = defineVariant({
  name: 'enforce-cc-claims-without-snoop-control',
  kind: 'seeded',
  description:
    'intel_iommu_enforce_cache_coherency_ss without `if (!domain_support_force_snooping(dmar_domain) ...) return false;`: the op sets force_snooping and returns true although a device attached to the domain sits behind a DMAR unit without snoop control, so the type1 vfio_domain of that group claims coherency (VFIO_DMA_CC_IOMMU) and its no-snoop reads bypass the CPU caches.',
  source:
    'the per-domain check "iommu/vt-d: Check domain force_snooping against attached devices" (Lu Baolu, v5.19) introduced domain_support_force_snooping for; before it the op asked domain_update_iommu_snooping(NULL) across every IOMMU of the machine',
  breaks: ['SNOOP'],
  showcase: 'coherency-no-snoop-type1',
  scenarios: COHERENCY_SCENARIOS,
  overrides: {
    iommu_enforce_cache_coherency(_env, s) {
      return ok(s);
    },
  },
});

export const COHERENCY_VARIANTS = [enforceCcAttachSkipsSnoopCheck, enforceCcClaimsWithoutSnoopControl];
