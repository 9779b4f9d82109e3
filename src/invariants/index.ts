/** The ordered invariant registry: TypeOK first, then the kernel's WARN_ONs, then I1..I20 (I11: direct mappings of reserved regions), then the hardware-backed UNMAP, STALE, STALE-UNTRUSTED, SUBPAGE, ATS-TRUST, INV-ORDER and PASID-REUSE (DMA, ATS and page requests in the interleavings), MSI (interrupts), VDEVICE (vDEVICE lookups), FAULTQ (fault queues across a replace), BAR (user BAR access), SNOOP (no-snoop reads on coherent domains), RESV (reserved IOVAs unmapped), RESET-OWNED (hot reset of owned devices only), P2P and RID, then REC (recoverability, an opt-in pass over the whole graph). */
import type { Invariant } from './defineInvariant.ts';
import { i1OwnershipExclusivity } from './i1OwnershipExclusivity.ts';
import { i2KernelOwnerCount } from './i2KernelOwnerCount.ts';
import { i3OwnedClaimCount } from './i3OwnedClaimCount.ts';
import { i4DmaApiConsistency } from './i4DmaApiConsistency.ts';
import { i5IdleGroupDefault } from './i5IdleGroupDefault.ts';
import { i6OwnedNeverDefault } from './i6OwnedNeverDefault.ts';
import { i7UniformTranslation } from './i7UniformTranslation.ts';
import { i8OneSecurityContext } from './i8OneSecurityContext.ts';
import { i9ExposureImpliesIsolation } from './i9ExposureImpliesIsolation.ts';
import { i10IommufdGroupUniformity } from './i10IommufdGroupUniformity.ts';
import { i12PasidSafety } from './i12PasidSafety.ts';
import { i14ReleaseRestores } from './i14ReleaseRestores.ts';
import { i15HotAddIntoOwned } from './i15HotAddIntoOwned.ts';
import { i17NoDanglingDomain } from './i17NoDanglingDomain.ts';
import { i19FdAfterOwnership } from './i19FdAfterOwnership.ts';
import { i20BlockedForReset } from './i20BlockedForReset.ts';
import { noKernelWarn } from './noKernelWarn.ts';
import { typeOk } from './typeOk.ts';
import { unmapWindowClosed } from './unmapWindowClosed.ts';
import { staleTranslation } from './staleTranslation.ts';
import { untrustedStrict } from './untrustedStrict.ts';
import { subPageBounce } from './subPageBounce.ts';
import { atsTrust } from './atsTrust.ts';
import { invalidationOrder } from './invalidationOrder.ts';
import { pasidReuse } from './pasidReuse.ts';
import { i11DirectMappings } from './i11DirectMappings.ts';
import { msiIsolation } from './msiIsolation.ts';
import { vdevicePublishedAfterInit } from './vdevicePublishedAfterInit.ts';
import { faultQueueOwner } from './faultQueueOwner.ts';
import { barDecodeOn } from './barDecodeOn.ts';
import { coherencyEnforced } from './coherencyEnforced.ts';
import { reservedIovaUnmapped } from './reservedIovaUnmapped.ts';
import { hotResetOwned } from './hotResetOwned.ts';
import { userP2pContained } from './userP2pContained.ts';
import { requesterIdContained } from './requesterIdContained.ts';
import { returnsToRest } from './returnsToRest.ts';

export const INVARIANTS: readonly Invariant[] = [
  typeOk,
  noKernelWarn,
  i1OwnershipExclusivity,
  i2KernelOwnerCount,
  i3OwnedClaimCount,
  i4DmaApiConsistency,
  i5IdleGroupDefault,
  i6OwnedNeverDefault,
  i7UniformTranslation,
  i8OneSecurityContext,
  i9ExposureImpliesIsolation,
  i10IommufdGroupUniformity,
  i11DirectMappings, // reserved regions (issue 16, Deliver 3)
  i12PasidSafety,
  i14ReleaseRestores,
  i15HotAddIntoOwned,
  i17NoDanglingDomain,
  i19FdAfterOwnership,
  i20BlockedForReset,
  unmapWindowClosed,
  staleTranslation,
  untrustedStrict,
  subPageBounce,
  atsTrust,
  invalidationOrder,
  pasidReuse,
  msiIsolation, // interrupts (issue 16, Deliver 4)
  vdevicePublishedAfterInit, // vDEVICEs (issue 16, Deliver 7)
  faultQueueOwner, // fault queues across an hwpt replace (issue 16, Deliver 1)
  barDecodeOn, // BAR access (issue 16, Deliver 6)
  coherencyEnforced, // cache coherency (issue 16, Deliver 5)
  reservedIovaUnmapped, // reserved regions in user IOVA spaces (issue 16, Deliver 3, helper G)
  hotResetOwned, // VFIO hot reset (issue 16, Deliver 2, helper H)
  userP2pContained,
  requesterIdContained,
  returnsToRest,
];

export const findInvariant = (id: string): Invariant | undefined => INVARIANTS.find((i) => i.id === id);

export { defineInvariant, type Invariant } from './defineInvariant.ts';
