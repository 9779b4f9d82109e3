/** The ordered registry of design variants: the current kernel first, then history, then seeded bugs. */
import { defineVariant, type Variant } from './defineVariant.ts';
import { HISTORICAL_VARIANTS } from './historical.ts';
import { SEEDED_VARIANTS } from './seeded.ts';
import { RESET_VARIANTS } from './reset.ts';
import { TRANSLATION_VARIANTS } from './translationPath.ts';
import { HWPT_LIFETIME_VARIANTS } from './hwptLifetime.ts';
import { VDEVICE_VARIANTS } from './vdevice.ts';
import { FAULT_QUEUE_VARIANTS } from './faultQueue.ts';
import { RESV_VARIANTS } from './reservedRegions.ts';
import { INTERRUPT_VARIANTS } from './interrupts.ts';
import { BAR_DMABUF_VARIANTS, BAR_VARIANTS } from './barAccess.ts';
import { COHERENCY_VARIANTS } from './coherency.ts';
import { HOT_RESET_VARIANTS } from './hotReset.ts';
import { PASID_SHARED_GROUP_VARIANTS } from './pasidSharedGroup.ts';

export const currentVariant = defineVariant({
  name: 'current',
  kind: 'kernel',
  description: 'The rules of the pinned mainline kernel (src/kernel/version.ts).',
  source: 'drivers/iommu/iommu.c and friends at the pinned commit',
  breaks: [],
  overrides: {},
});

export const VARIANTS: readonly Variant[] = [currentVariant, ...HISTORICAL_VARIANTS, ...SEEDED_VARIANTS, ...TRANSLATION_VARIANTS, ...RESET_VARIANTS, ...HWPT_LIFETIME_VARIANTS, ...VDEVICE_VARIANTS /* vDEVICEs (issue 16) */, ...FAULT_QUEUE_VARIANTS /* fault queues across a replace (issue 16) */, ...RESV_VARIANTS /* reserved regions (issue 16) */, ...INTERRUPT_VARIANTS /* interrupts (issue 16) */, ...BAR_VARIANTS /* BAR access (issue 16) */, ...BAR_DMABUF_VARIANTS, ...COHERENCY_VARIANTS /* cache coherency (issue 16) */, ...HOT_RESET_VARIANTS /* VFIO hot reset (issue 16) */, ...PASID_SHARED_GROUP_VARIANTS /* PASID in a shared group (kernel-notes 21) */];

/** Looks a variant up by name. */
export const findVariant = (name: string): Variant | undefined => VARIANTS.find((v) => v.name === name);

export { defineVariant, kernelOf, type Variant } from './defineVariant.ts';
