/** The ordered registry of design variants: the current kernel first, then history, then seeded bugs. */
import { defineVariant, type Variant } from './defineVariant.ts';
import { HISTORICAL_VARIANTS } from './historical.ts';
import { SEEDED_VARIANTS } from './seeded.ts';
import { RESET_VARIANTS } from './reset.ts';
import { TRANSLATION_VARIANTS } from './translationPath.ts';
import { HWPT_LIFETIME_VARIANTS } from './hwptLifetime.ts';

export const currentVariant = defineVariant({
  name: 'current',
  kind: 'kernel',
  description: 'The rules of the pinned mainline kernel (src/kernel/version.ts).',
  source: 'drivers/iommu/iommu.c and friends at the pinned commit',
  breaks: [],
  overrides: {},
});

export const VARIANTS: readonly Variant[] = [currentVariant, ...HISTORICAL_VARIANTS, ...SEEDED_VARIANTS, ...TRANSLATION_VARIANTS, ...RESET_VARIANTS, ...HWPT_LIFETIME_VARIANTS];

/** Looks a variant up by name. */
export const findVariant = (name: string): Variant | undefined => VARIANTS.find((v) => v.name === name);

export { defineVariant, kernelOf, type Variant } from './defineVariant.ts';
