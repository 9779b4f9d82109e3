/** 0003: claiming moves the group to the blocking domain. */
import { COMMIT_ALWAYS_ASSIGN, COMMIT_OWNERSHIP, SEED_SECURITY_CONTEXT } from '../sources.ts';
import { defineDecision } from '../types.ts';

export const claimBlocksDma = defineDecision({
  id: '0003',
  slug: 'claim-moves-to-blocking-domain',
  title: 'Claiming moves the group to the blocking domain',
  status: 'Accepted',
  question:
    'What does the hardware translate a claimed group\'s devices through between the claim and the owner\'s first attach, and after the owner detaches: a blocking domain, no domain (NULL), or still the default domain?',
  context: [
    'Jason Gunthorpe, on the security context of a user-owned device: "a device under VFIO control should immediately have it\'s IOMMU programmed to block all DMA. This is basically attaching it to a dummy ioasid with an empty page table. So before VFIO exposes any char device all devices/groups under VFIO control cannot do any DMA."',
    'The first merged ownership code (1ea2a07a532b) detached the group instead (domain NULL, IOMMU-driver specific behaviour) and returned to NULL on detach while owned. The fix, "iommu: iommu_group_claim_dma_owner() must always assign a domain" (May 2022), states the rule: "Once the group enters \'owned\' mode it can never be assigned back to the default_domain or to a NULL domain"; it also fixed an SMMUv3 oops where VFIO\'s detach-then-free left a stale domain pointer (W7).',
  ],
  threads: [SEED_SECURITY_CONTEXT],
  commits: [COMMIT_OWNERSHIP, COMMIT_ALWAYS_ASSIGN],
  decision:
    '`__iommu_take_dma_ownership` allocates `group->blocking_domain` and attaches the whole group to it before setting the owner; detaching an owned group (`__iommu_group_set_core_domain`) returns it to the blocking domain; only the last release goes back to the default domain.',
  chosen: {
    variant: 'current',
    as: 'The pinned kernel.',
    expect: { 'vfio-vs-dma-api': 'holds', 'iommufd-two-contexts': 'holds' },
  },
  alternatives: [
    {
      variant: 'w7-claim-detach-to-null',
      as: 'The first merged semantics: claim and owned detach leave the group on a NULL domain.',
      expect: { 'vfio-vs-dma-api': ['I6', 'I9', 'I10'], 'iommufd-two-contexts': ['I6', 'I9', 'I10'] },
    },
    {
      variant: 'claim-keeps-default-domain',
      as: 'Claim sets the owner but keeps the default domain until the owner attaches its own.',
      expect: { 'vfio-vs-dma-api': ['I6', 'I9', 'I10'], 'iommufd-two-contexts': ['I6', 'I9', 'I10'] },
    },
  ],
  scenarios: ['vfio-vs-dma-api', 'iommufd-two-contexts'],
  invariants: ['I6', 'I9', 'I10'],
});
