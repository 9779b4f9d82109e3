/** The ordered registry of design variants: the current kernel first, then history, then seeded bugs. */
import { defineVariant, type Variant } from './defineVariant.ts';
import {
  claimIgnoresDmaApiUsers,
  claimKeepsDefaultDomain,
  pciStubNotManaged,
  v519HotAddDefault,
  w1PreViability,
  w3PreOwnershipHotAdd,
  w4SvaDeviceCount,
  w5SingletonLockdown,
  w6ImmutableSingleton,
  w7ClaimDetachToNull,
  w8ProbeErrorLeak,
} from './historical.ts';
import {
  bugClaimIgnoresOwner,
  bugDeviceClaimNoCount,
  bugDeviceFdBeforeClaim,
  bugHotAddIgnoresOwner,
  bugIommufdAnyHwpt,
  bugReleaseKeepsBlocking,
  bugUnuseUnderflow,
} from './seeded.ts';

export const currentVariant = defineVariant({
  name: 'current',
  kind: 'kernel',
  description: 'The rules of the pinned mainline kernel (src/kernel/version.ts).',
  source: 'drivers/iommu/iommu.c and friends at the pinned commit',
  breaks: [],
  overrides: {},
});

export const VARIANTS: readonly Variant[] = [
  currentVariant,
  w1PreViability,
  w3PreOwnershipHotAdd,
  w4SvaDeviceCount,
  w5SingletonLockdown,
  w6ImmutableSingleton,
  w7ClaimDetachToNull,
  w8ProbeErrorLeak,
  v519HotAddDefault,
  claimIgnoresDmaApiUsers,
  claimKeepsDefaultDomain,
  pciStubNotManaged,
  bugDeviceClaimNoCount,
  bugReleaseKeepsBlocking,
  bugClaimIgnoresOwner,
  bugIommufdAnyHwpt,
  bugHotAddIgnoresOwner,
  bugDeviceFdBeforeClaim,
  bugUnuseUnderflow,
];

/** Looks a variant up by name. */
export const findVariant = (name: string): Variant | undefined => VARIANTS.find((v) => v.name === name);

export { defineVariant, kernelOf, type Variant } from './defineVariant.ts';
