/**
 * The variant that breaks PASID-REUSE (docs/design/translation-path.md section 4), kept in the
 * tests like test/helpers/translationVariants.ts: a built-in variant would add a manifest row to
 * every scenario.
 */
import { ok } from '../../src/kernel/errno.ts';
import { defineVariant, type Variant } from '../../src/machines/variants/index.ts';

/** PASID-REUSE: the driver's remove_dev_pasid detaches the PASID without draining its page requests. */
export const unbindWithoutDrain: Variant = defineVariant({
  name: 'unbind-without-prq-drain',
  kind: 'seeded',
  description: "iommu_sva_unbind_device detaches the PASID without draining its page requests: intel_drain_pasid_prq (and so iopf_queue_flush_dev) is skipped.",
  source: 'docs/design/translation-path.md section 4, PASID-REUSE',
  breaks: ['PASID-REUSE'],
  overrides: {
    intel_drain_pasid_prq: (_env, s) => ok(s),
  },
});
