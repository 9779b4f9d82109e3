/** 0002: the owner is claimed for the whole group before any device fd exists. */
import { COMMIT_OWNERSHIP, SEED_DEVICE_CENTRIC, SEED_SECURITY_CONTEXT } from '../sources.ts';
import { defineDecision } from '../types.ts';

export const claimBeforeDeviceFd = defineDecision({
  id: '0002',
  slug: 'claim-before-device-fd',
  title: 'The owner is claimed for the whole group before any device fd exists',
  status: 'Accepted',
  question:
    'When does a user context become responsible for a group: by claiming the whole group\'s ownership before it can get any device fd, or when VFIO judges the group "viable" at SET_CONTAINER and watches driver binds afterwards?',
  context: [
    'Before v5.19 VFIO kept isolation by itself: a group was viable when every device was driverless, bound to a VFIO driver or to an allow-listed driver (`pci-stub`), and VFIO listened to the IOMMU group notifier afterwards, with a `BUG_ON` when a non-viable driver bound to a group in use. The notifier fires only after the driver\'s probe ran, so the DMA-API driver already ran against a domain the user controls (W1).',
    'Jason Gunthorpe set the order the core now enforces: "Today the group fd requires an IOASID before it hands out a device_fd. With iommu_fd the device_fd will not allow IOCTLs until it has a blocked DMA IOASID and is successefully joined to an iommu_fd." For the device-centric API David Gibson asked that opening with user access blocked "must happen for *all* devices in the group before (2) happens for any device in the group".',
  ],
  threads: [SEED_SECURITY_CONTEXT, SEED_DEVICE_CENTRIC],
  commits: [COMMIT_OWNERSHIP],
  decision:
    '`VFIO_GROUP_SET_CONTAINER` claims the group (`iommu_group_claim_dma_owner`) and `VFIO_GROUP_GET_DEVICE_FD` hands out a device fd only after that claim and `VFIO_SET_IOMMU`; on the cdev path `VFIO_DEVICE_BIND_IOMMUFD` claims (`iommu_device_claim_dma_owner`) before access is granted. From the claim on, a DMA-API driver cannot bind anywhere in the group (`-EBUSY`).',
  chosen: {
    variant: 'current',
    as: 'The pinned kernel: claim first, fd second.',
    expect: { 'vfio-vs-dma-api': 'holds', 'hot-add-owned-group': 'holds' },
  },
  alternatives: [
    {
      variant: 'w1-vfio-viability',
      as: 'The pre-5.19 viability check: a point-in-time judgement of the drivers, not a claim.',
      expect: {
        'vfio-vs-dma-api': ['WARN', 'I1', 'I3', 'I4', 'P2P'],
        'hot-add-owned-group': ['WARN', 'I1', 'I3', 'I4', 'P2P'],
      },
    },
    {
      variant: 'bug-device-fd-before-claim',
      as: 'A seeded stand-in for "fd first": `VFIO_GROUP_GET_DEVICE_FD` succeeds on an opened group before `SET_CONTAINER` claimed it.',
      expect: {
        'vfio-vs-dma-api': ['I8', 'I9', 'I19', 'P2P'],
        'hot-add-owned-group': ['I8', 'I9', 'I19', 'P2P'],
      },
    },
  ],
  scenarios: ['vfio-vs-dma-api', 'hot-add-owned-group'],
  invariants: ['I1', 'I8', 'I9', 'I19'],
});
