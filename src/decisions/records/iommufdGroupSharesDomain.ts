/** 0006: iommufd devices of one group share one domain and start blocked. */
import { COMMIT_ALWAYS_ASSIGN, SEED_DEVICE_CENTRIC, SEED_SECURITY_CONTEXT } from '../sources.ts';
import { defineDecision } from '../types.ts';
import { groupMateFollowsHwpt } from '../witnesses.ts';

export const iommufdGroupSharesDomain = defineDecision({
  id: '0006',
  slug: 'iommufd-group-shares-one-domain',
  title: 'iommufd devices of one group share one domain and start blocked',
  status: 'Accepted (documented side effect)',
  question:
    'The VFIO cdev + iommufd API is device-centric: a user binds and attaches devices one by one. What happens to the other devices of the group: may they be bound by another iommufd context, attached to different page tables, or left on the kernel\'s domain?',
  context: [
    'Jason Gunthorpe listed what isolation means for a security context: "1. The device can only do DMA to memory put into its security context 2. No other security context can control this device 3. No other security context can do DMA to my userspace memory", and for iommu_fd: "the kenerl would not permit splitting groups between iommu_fds" and "the device_fd will not allow IOCTLs until it has a blocked DMA IOASID".',
    'David Gibson objected to what the device-centric model hides: attaching device A "can implicitly but observably change the behaviour for other devices in the group as well", and "doing (3) on device A will implicitly change the DMA environment of device B". Kevin Tian proposed to document it; Gibson: "Documenting limitations is always inferior to building them into the actual API signatures."',
  ],
  threads: [SEED_SECURITY_CONTEXT, SEED_DEVICE_CENTRIC],
  commits: [COMMIT_ALWAYS_ASSIGN],
  decision:
    'Ownership is claimed per device but accounted per group with one owner cookie (`iommu_device_claim_dma_owner`): a second iommufd context gets `-EPERM`. The first bind moves the whole group to the blocking domain; iommufd attaches the whole group to a hwpt on the first device and requires every device of the group to use that hwpt. The implicit effect Gibson described stays: a bound group-mate that its user never attached is translated by the hwpt another device was attached to. The trace below shows it.',
  chosen: {
    variant: 'current',
    as: 'The pinned kernel.',
    expect: { 'iommufd-two-contexts': 'holds', 'vfio-vs-dma-api': 'holds' },
    witness: true,
  },
  alternatives: [
    {
      variant: 'bug-iommufd-any-hwpt',
      as: 'A seeded stand-in for per-device domains: devices of one group attach to different hwpts, each attach replacing the group\'s domain.',
      expect: { 'iommufd-two-contexts': ['I10'], 'vfio-vs-dma-api': 'holds' },
      witness: true,
    },
    {
      variant: 'bug-claim-ignores-owner',
      as: 'A seeded stand-in for splitting a group between iommufds: a second context\'s bind is let in.',
      expect: { 'iommufd-two-contexts': ['I3', 'I8', 'I19', 'P2P'], 'vfio-vs-dma-api': 'holds' },
      witness: true,
    },
    {
      variant: 'w7-claim-detach-to-null',
      as: 'Bound devices start on no domain (NULL) instead of blocked.',
      expect: { 'iommufd-two-contexts': ['I6', 'I9', 'I10'], 'vfio-vs-dma-api': ['I6', 'I9', 'I10'] },
      witness: false,
    },
  ],
  scenarios: ['iommufd-two-contexts', 'vfio-vs-dma-api'],
  invariants: ['I6', 'I8', 'I10', 'I19'],
  witness: groupMateFollowsHwpt,
});
