/** 0004: pci-stub and pcieport are driver_managed_dma; the P2P exposure is accepted. */
import { COMMIT_BRIDGES, COMMIT_OWNERSHIP, COMMIT_STUB_MANAGED, SEED_MIXTURE, SEED_PCI_STUB } from '../sources.ts';
import { defineDecision } from '../types.ts';
import { stubExposure } from '../witnesses.ts';

export const stubsAreDriverManaged = defineDecision({
  id: '0004',
  slug: 'pci-stub-and-pcieport-are-driver-managed',
  title: 'pci-stub and pcieport are driver_managed_dma: the P2P exposure is accepted',
  status: 'Accepted (documented exposure)',
  question:
    'May a kernel driver that does no DMA (pci-stub, the PCIe port driver) stay bound to a device of a group a user owns, although the user\'s device can reach it peer-to-peer?',
  context: [
    'Lu Baolu\'s patch argued that "pci_stub allows the admin to block driver binding on a device and make it permanently shared with userspace. Since pci_stub does not do DMA, it is safe. However the admin must understand that using pci_stub allows userspace to attack whatever device it was bound to." Jason Gunthorpe spelled out the attack: "If userspace has control of device A and can cause A to issue DMA to arbitary DMA addresses then there are certain PCI topologies where A can now issue peer to peer DMA and manipulate the MMMIO registers in device B."',
    'Jason Gunthorpe on why every other driver still calls `iommu_device_use_dma_api()`: it "blocks P2P attacks to MMIO of other devices", "except in the special cases where we don\'t care about P2P attacks (eg pci-stub, bridges, etc)". VFIO had allowed any bridge driver (5f096b14d421b); the series kept the exemption for pcieport only.',
    'The checker\'s P2P invariant (UserP2pContained: a user-accessible device must not reach, peer-to-peer past the IOMMU, the BARs of a peer held by the kernel) catches the exposure; its reason labels this case as the accepted `driver_managed_dma` exception, so the chosen rule is expected to break P2P on this scenario, and the record shows the trace with the DMA route. The witness search shows the same exposure as reachable under the chosen rule and unreachable under the alternative.',
  ],
  threads: [SEED_PCI_STUB, SEED_MIXTURE],
  commits: [COMMIT_OWNERSHIP, COMMIT_STUB_MANAGED, COMMIT_BRIDGES],
  decision:
    '`pci-stub` and `pcieport` set `driver_managed_dma`: `pci_dma_configure` does not call `iommu_device_use_default_domain` for them, so they neither count in `owner_cnt` nor block a claim, and they may bind into an owned group. A user may own a group beside a stubbed group-mate and reach its BARs by P2P: accepted, since the stubbed device does no DMA and the admin chose to stub it.',
  chosen: {
    variant: 'current',
    as: 'The pinned kernel: pci-stub and pcieport are driver_managed_dma.',
    expect: { 'pci-stub-neighbour': ['P2P'] },
    witness: true,
  },
  alternatives: [
    {
      variant: 'pci-stub-not-managed',
      as: 'pci-stub and pcieport count as kernel DMA users: no exposure, but no VFIO either while a group-mate is stubbed (the claim gets -EPERM).',
      expect: { 'pci-stub-neighbour': 'holds' },
      witness: false,
    },
  ],
  scenarios: ['pci-stub-neighbour'],
  invariants: ['P2P', 'I1', 'I9'],
  witness: stubExposure,
});
