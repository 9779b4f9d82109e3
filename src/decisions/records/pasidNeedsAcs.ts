/** 0005: SVA/PASID needs ACS RR+UF on the path. */
import { COMMIT_PASID_ACS, COMMIT_PASID_SKIP, SEED_LOCKDOWN } from '../sources.ts';
import { defineDecision } from '../types.ts';

export const pasidNeedsAcs = defineDecision({
  id: '0005',
  slug: 'pasid-needs-acs-on-the-path',
  title: 'SVA/PASID needs ACS RR+UF on the path, not a device or driver count',
  status: 'Accepted',
  question:
    'What makes it safe to let a device issue PASID-tagged DMA (SVA): a group with one device right now, a group with one DMA-API driver (the singleton lockdown RFC), or ACS Request Redirect and Upstream Forwarding on every port between the device and the root?',
  context: [
    'PCIe routes memory requests by address; the PASID prefix plays no part. Kevin Tian, on the singleton-lockdown RFC: "IIRC the problem with SVA is because PASID TLP prefix is not counted in PCI packet routing thus a DMA target address with PASID might be treated as P2P if the address falls into the MMIO BAR of other devices in the group." A process address that equals a group-mate\'s BAR goes to the group-mate, never to the IOMMU.',
    'The old `iommu_sva_bind_device` required `iommu_group_device_count() == 1`, a point-in-time fact that a hot-added function breaks (W4). Lu Baolu\'s RFC v2 02/11 replaced it with `iommu_group_singleton_lockdown()` ("owner_cnt == 1, default domain, no owner"), which counts drivers, not devices: a driverless or pci-stub group-mate passes (W5). Jason Gunthorpe replied that "Testing the group size is inherently the wrong test to make" (kernel-semantics.md 4(b)). After long discussion the check moved into PCI: `pci_enable_pasid` refuses unless ACS RR and UF are enabled on the upstream path (201007ef707a).',
  ],
  threads: [SEED_LOCKDOWN],
  commits: [COMMIT_PASID_ACS, COMMIT_PASID_SKIP],
  decision:
    '`pci_enable_pasid` enables PASID only when `pci_acs_path_enabled(RR | UF)` holds from the device to the root (and on the device itself when it is multifunction); the IOMMU driver\'s `set_dev_pasid` refuses a device whose PASID is not enabled, so `iommu_sva_bind_device` fails there. The core counts neither devices nor drivers.',
  chosen: {
    variant: 'current',
    as: 'The pinned kernel: the per-device ACS gate of pci_enable_pasid.',
    expect: { 'sva-peer-hot-add': 'holds', 'sva-driverless-peer': 'holds', 'sva-switch-peer': 'holds', 'sva-acs-switch': 'holds' },
  },
  alternatives: [
    {
      variant: 'w4-sva-device-count',
      as: 'Pre-~v6.2: SVA only when the group has exactly one device now.',
      expect: { 'sva-peer-hot-add': ['I12'], 'sva-driverless-peer': 'holds', 'sva-switch-peer': ['I12'], 'sva-acs-switch': 'holds' },
    },
    {
      variant: 'w5-singleton-lockdown',
      as: 'RFC v2 02/11: SVA when owner_cnt == 1, the group is on its default domain and has no owner.',
      expect: { 'sva-peer-hot-add': ['I12'], 'sva-driverless-peer': ['I12'], 'sva-switch-peer': ['I12'], 'sva-acs-switch': 'holds' },
    },
  ],
  scenarios: ['sva-peer-hot-add', 'sva-driverless-peer', 'sva-switch-peer', 'sva-acs-switch'],
  invariants: ['I12'],
});
