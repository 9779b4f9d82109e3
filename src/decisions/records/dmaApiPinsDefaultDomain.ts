/** 0001: a DMA-API user pins the group to its default domain; never a user/kernel mixture. */
import { COMMIT_OWNERSHIP, SEED_MIXTURE, SEED_PCI_STUB } from '../sources.ts';
import { defineDecision } from '../types.ts';

const violatesAll = (inv: readonly string[]) => ({ 'vfio-vs-dma-api': inv, 'hot-add-owned-group': inv });

export const dmaApiPinsDefaultDomain = defineDecision({
  id: '0001',
  slug: 'dma-api-pins-default-domain',
  title: 'DMA-API users pin the default domain: never a user/kernel mixture',
  status: 'Accepted',
  question:
    'While a kernel driver that uses the DMA API is bound to a device, may anyone else (a VFIO group, an iommufd context) take the group\'s domain, or may such a driver bind into a group someone owns?',
  context: [
    'All devices of an IOMMU group share one `group->domain`. The cover letter of Lu Baolu\'s DMA-ownership series put it as "entirely under kernel control or userspace control, never a mixture"; Bjorn Helgaas asked whether that was only about user versus kernel, which could be done "without iommu_device_use_dma_api()".',
    'Jason Gunthorpe\'s answer made the rule about the domain pointer rather than about users: "It is not about user/kernel, it is about arbitrating the shared group->domain against multiple different requests to set it to something else." A driver that maps with the DMA API maps into `default_domain`; if the hardware translates its device through another domain, its DMA goes wrong (Robin Murphy: the device "is likely to get a nasty surprise").',
    'Before v5.19 the core had no such arbitration: VFIO judged viability by itself, and a DMA-API driver could still bind after the check (W1 in kernel-semantics.md).',
  ],
  threads: [SEED_MIXTURE, SEED_PCI_STUB],
  commits: [COMMIT_OWNERSHIP],
  decision:
    '`iommu_device_use_default_domain` (called from `pci_dma_configure` for every driver without `driver_managed_dma`) counts the driver in `owner_cnt` and refuses with `-EBUSY` while the group has an owner or is off its default domain; `iommu_group_claim_dma_owner` and `iommu_device_claim_dma_owner` refuse with `-EPERM` while `owner_cnt` counts DMA-API drivers. The group is in exactly one mode: kernel (DMA-API users, default domain) or owned.',
  chosen: {
    variant: 'current',
    as: 'The pinned kernel: both directions refused.',
    expect: { 'vfio-vs-dma-api': 'holds', 'hot-add-owned-group': 'holds' },
  },
  alternatives: [
    {
      variant: 'claim-ignores-dma-api-users',
      as: 'Ownership arbitrates only between owners: a claim ignores bound DMA-API drivers (Bjorn Helgaas\'s "without iommu_device_use_dma_api()").',
      expect: violatesAll(['I1', 'I3', 'I4', 'P2P']),
    },
    {
      variant: 'w1-vfio-viability',
      as: 'Pre-5.19: VFIO checks viability when the group is attached; a DMA-API driver binds afterwards and the notifier BUG_ONs only after its probe ran.',
      expect: violatesAll(['WARN', 'I1', 'I3', 'I4', 'P2P']),
    },
  ],
  scenarios: ['vfio-vs-dma-api', 'hot-add-owned-group'],
  invariants: ['I1', 'I3', 'I4'],
});
