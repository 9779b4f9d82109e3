/** 0009: an untrusted device never gets the flush queue: at boot the kernel says so, at run time (sysfs) it does not ask. */
import type { CommitSource } from '../types.ts';
import { defineDecision } from '../types.ts';

const COMMIT_UNTRUSTED_STRICT: CommitSource = {
  id: null,
  title: 'iommu_get_def_domain_type (drivers/iommu/iommu.c): "if (dev_is_pci(dev) && to_pci_dev(dev)->untrusted) return IOMMU_DOMAIN_DMA;"',
  note: 'the boot rule, read in hunks with issue 15 (docs/kernel-notes.md section 10.1); the commit that introduced it was not identified',
};
const COMMIT_LIVE_FQ: CommitSource = {
  id: null,
  title: 'iommu: Allow enabling non-strict mode dynamically (Robin Murphy, 2021)',
  note: 'patch text seen in a stored mailing-list copy (search id 28273413530), hash not recorded: "We can bring up a flush queue without tearing down the domain"; "there\'s not such a clear use-case for tightening up security *after* the device may already have done whatever it is that you don\'t trust it not to do, so we only consider the relaxation case"',
};
const SOURCE_STORE_TYPE: CommitSource = {
  id: '17194cd0dd23',
  title: 'iommu_group_store_type as read (gregkh/linux, drivers/iommu/iommu.c)',
  note: 'the DMA -> DMA-FQ shortcut runs iommu_dma_init_fq before, and without, the owner_cnt test and iommu_get_def_domain_type; before the 2023 rework iommu_change_dev_def_domain compared the request with iommu_get_def_domain_type(dev) first ("Device cannot be in %s domain", -EINVAL)',
};

export const untrustedFlushQueue = defineDecision({
  id: '0009',
  slug: 'untrusted-never-lazy',
  title: 'An untrusted device never gets the flush queue, at boot or through sysfs',
  status: 'Accepted (known weakness)',
  question:
    'A device below an external-facing port (pci_dev->untrusted) may be malicious: after dma_unmap_page returns, the kernel frees and reuses the page, so the device must not keep a translation for it. At boot the default domain of its group is strict whatever iommu.strict says. May the administrator\'s run-time switch to the flush queue (echo DMA-FQ > /sys/kernel/iommu_groups/G/type) give it the lazy window after all?',
  context: [
    'With iommu.strict=0 the DMA-API default domain is DMA-FQ: `__iommu_dma_unmap` clears the PTE and queues the IOTLB invalidation (`queue_iova`) instead of syncing it, and `dma_unmap_page` returns before the IOTLB forgets the page; until `fq_flush_timeout` the device\'s DMA through the stale entry reaches the page the driver freed and the allocator gave to someone else (built-in dma-api-unmap-lazy, the accepted trade-off). For an untrusted device that trade-off is not accepted: `iommu_get_def_domain_type` returns IOMMU_DOMAIN_DMA for it, so its group boots strict (dma-api-untrusted-lazy, dma-api-external-lazy with the flag derived from the topology).',
    'The sysfs type file changes the default domain at run time. Every change but one needs the group unbound (`owner_cnt == 0`, -EPERM); the exception, DMA to DMA-FQ, keeps the domain and only brings up its flush queue, with drivers bound. In the pinned kernel that shortcut comes first in `iommu_group_store_type` and never consults `iommu_get_def_domain_type`; the unmap path reads the queue live (`READ_ONCE(cookie->fq_domain)`). It needs CAP_SYS_ADMIN and CAP_SYS_RAWIO, so it is root undoing a protection the kernel applies on root\'s behalf at boot, not an escalation.',
  ],
  threads: [],
  commits: [COMMIT_UNTRUSTED_STRICT, COMMIT_LIVE_FQ, SOURCE_STORE_TYPE],
  decision:
    'The kernel keeps untrusted devices strict at boot and lets the sysfs relaxation through: a known weakness of the pinned kernel, shown as a trace on dma-api-untrusted-sysfs-fq (probe, map, the administrator\'s DMA-FQ write, unmap: the IOVA waits on the flush queue). The re-check this model proposes, `iommu_group_store_type` refusing DMA-FQ with -EINVAL for a group with an untrusted member as `iommu_change_dev_def_domain` once did, holds on every scenario of this record; dropping the boot rule instead breaks the boot scenario too.',
  chosen: {
    variant: 'current',
    as: 'The pinned kernel: strict at boot for untrusted members, the sysfs DMA -> DMA-FQ switch without the untrusted test.',
    expect: { 'dma-api-untrusted-lazy': 'holds', 'dma-api-untrusted-sysfs-fq': ['STALE', 'STALE-UNTRUSTED'] },
  },
  alternatives: [
    {
      variant: 'store-type-rechecks-untrusted',
      as: 'The proposed fix: the sysfs switch asks what iommu_get_def_domain_type says of the members and refuses DMA-FQ (-EINVAL) when one is untrusted.',
      expect: { 'dma-api-untrusted-lazy': 'holds', 'dma-api-untrusted-sysfs-fq': 'holds' },
    },
    {
      variant: 'default-domain-ignores-untrusted',
      as: 'No untrusted rule at all: the default domain follows iommu.strict alone, at boot as in sysfs.',
      expect: { 'dma-api-untrusted-lazy': ['STALE', 'STALE-UNTRUSTED'], 'dma-api-untrusted-sysfs-fq': ['STALE', 'STALE-UNTRUSTED'] },
    },
  ],
  scenarios: ['dma-api-untrusted-lazy', 'dma-api-untrusted-sysfs-fq'],
  invariants: ['STALE-UNTRUSTED', 'STALE'],
});
