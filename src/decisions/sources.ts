/** The threads (shared/seeds) and commits the records cite, once each. */
import type { CommitSource, ThreadSource } from './types.ts';

export const SEED_MIXTURE: ThreadSource = {
  seed: '000_3031699b5c209e0d.txt',
  subject: 'DMA-ownership series v5 (iommu_device_use_dma_api / iommu_group_set_dma_owner); the subject line is not kept in the seed',
  from: 'Jason Gunthorpe, replying to Bjorn Helgaas and Christoph Hellwig on Lu Baolu\'s patch',
  date: 'Jan 2022 (Bjorn Helgaas wrote on Tue, Jan 04, 2022)',
  quote:
    'If the kernel is using a device then the kernel driver uses the DMA API and the group\'s domain must always point to the default domain so long as a DMA API user exists.',
};

export const SEED_LOCKDOWN: ThreadSource = {
  seed: '001_8d01f78678eae188.txt',
  subject: 'Re: [PATCH RFC v2 02/11] iommu: Add iommu_group_singleton_lockdown()',
  from: 'Yi Liu, quoting Kevin Tian and Lu Baolu',
  date: 'Fri Apr 01 2022',
  url: 'lore.kernel.org/kvm/20180511190641.23008-3-jean-philippe.brucker@… (Jean-Philippe Brucker\'s SVA patch, quoted; the address is obfuscated in the seed)',
  quote:
    'IIRC the problem with SVA is because PASID TLP prefix is not counted in PCI packet routing thus a DMA target address with PASID might be treated as P2P if the address falls into the MMIO BAR of other devices in the group.',
};

export const SEED_PCI_STUB: ThreadSource = {
  seed: '002_2c2b83d2fe1a00e7.txt',
  subject: 'Re: [PATCH 03/11] PCI: pci_stub: Suppress kernel DMA ownership auto-claiming',
  from: 'Robin Murphy, quoting Jason Gunthorpe, Christoph Hellwig and Lu Baolu',
  date: 'Mon Nov 15 2021',
  quote:
    'If userspace has control of device A and can cause A to issue DMA to arbitary DMA addresses then there are certain PCI topologies where A can now issue peer to peer DMA and manipulate the MMMIO registers in device B.',
};

export const SEED_SECURITY_CONTEXT: ThreadSource = {
  seed: '003_d9212ec895ba268a.txt',
  subject: 'IOASID / iommu_fd design discussion (the subject line is not kept in the seed)',
  from: 'Jason Gunthorpe, replying to Alex Williamson',
  date: 'Jun 2021 (Alex Williamson wrote on Sat, Jun 12, 2021)',
  quote:
    'a device under VFIO control should immediately have it\'s IOMMU programmed to block all DMA. [...] So before VFIO exposes any char device all devices/groups under VFIO control cannot do any DMA.',
};

export const SEED_DEVICE_CENTRIC: ThreadSource = {
  seed: '004_9e22ca4f6d77904d.txt',
  subject: 'Re: [RFC 06/20] iommu: Add iommu_device_init[exit]_user_dma interfaces',
  from: 'David Gibson, replying to Kevin Tian',
  date: 'Thu, 30 Sep 2021',
  messageId: 'in reply to <20210919063848.1476776-7-yi.l.liu@intel.com>',
  url: 'https://lore.kernel.org/r/20210919063848.1476776-7-yi.l.liu@intel.com (the patch); https://lore.kernel.org/kvm/20210928140712.GL964074@nvidia.com/ (the proposal cited in the thread)',
  quote:
    'Then you try it with two devices in the one group and doing (3) on device A will implicitly change the DMA environment of device B.',
};

export const COMMIT_OWNERSHIP: CommitSource = { id: '1ea2a07a532b', title: 'iommu: Add DMA ownership management interfaces', note: 'v5.19' };
export const COMMIT_ALWAYS_ASSIGN: CommitSource = {
  id: null,
  title: 'iommu: iommu_group_claim_dma_owner() must always assign a domain',
  note: 'Jason Gunthorpe and Robin Murphy, v3 9 May 2022, Fixes: 1ea2a07a532b',
};
export const COMMIT_COUNT_CHECK: CommitSource = { id: '426a273834eae', title: 'iommu: Limit iommu_attach/detach_device to device with their own group', note: '2015' };
export const COMMIT_PASID_ACS: CommitSource = { id: '201007ef707a', title: 'PCI: Enable PASID only when ACS RR & UF enabled on upstream path', note: 'SVA series v14, Sep 2022' };
export const COMMIT_PASID_SKIP: CommitSource = { id: 'b3f6fcd8404f', title: 'iommu: Skip PASID validation for devices without PASID capability' };
export const COMMIT_STUB_MANAGED: CommitSource = { id: null, title: 'PCI: pci_stub: Set driver_managed_dma', note: 'DMA-ownership series v6, Feb 2022' };
export const COMMIT_BRIDGES: CommitSource = { id: '5f096b14d421b', title: 'vfio: Whitelist PCI bridges' };
