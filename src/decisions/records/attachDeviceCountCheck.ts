/** 0007: the point-in-time device-count check in iommu_attach_device (known weakness W3). */
import { COMMIT_COUNT_CHECK, COMMIT_OWNERSHIP, SEED_LOCKDOWN } from '../sources.ts';
import { defineDecision } from '../types.ts';

export const attachDeviceCountCheck = defineDecision({
  id: '0007',
  slug: 'attach-device-point-in-time-count',
  title: 'iommu_attach_device keeps its point-in-time device-count check',
  status: 'Accepted (known weakness)',
  question:
    'A kernel driver may attach its own (private) domain with `iommu_attach_device` only when its device is alone in its group. What makes "alone" true, and does it stay true?',
  context: [
    'Since 426a273834eae (2015) `iommu_attach_device` refuses unless the group has exactly one device, counted at the time of the call. Lu Baolu\'s RFC v2 02/11: "The existing method is to check the device count in the IOMMU group in the interfaces. This is unreliable because any device added to the IOMMU group later breaks this assumption without notifying the driver using the interface."',
    'A function of a multifunction device without ACS can be removed and rescanned around the check: the new member joins the private domain, `iommu_detach_device` then WARNs and skips (count != 1), and the driver frees a domain the IOMMU still walks (W3). Before v5.19 a DMA-API driver could also bind to the new member; from v5.19 to about v6.3 the new member was put on the default domain, splitting the group.',
    'The singleton lockdown (RFC v2) counted drivers, not devices, and does not stop a device from being added. RFC v3\'s `immutable_singleton` (set from `pci_immutably_isolated()`) would have refused the attach on any group that can grow; the series instead moved the PASID check into PCI (decision 0005), and nothing replaced the count in `iommu_attach_device`. The hot-add protection today comes from the ownership rules, and the trace of the remaining gap is kept as a known weakness.',
  ],
  threads: [SEED_LOCKDOWN],
  commits: [COMMIT_COUNT_CHECK, COMMIT_OWNERSHIP],
  decision:
    'Today\'s `iommu_attach_device` still checks `list_count_nodes(&group->devices) != 1 -> -EINVAL` at the time of the call; a hot-added member joins `group->domain` (the private domain) and cannot get a DMA-API driver (`-EBUSY`). The check is kept, and its counterexample is documented rather than hidden.',
  chosen: {
    variant: 'current',
    as: 'The pinned kernel, with its known weakness.',
    expect: { 'private-domain-hot-add': ['WARN', 'I5', 'I17'] },
  },
  alternatives: [
    {
      variant: 'w3-attach-device-count-pre-5.19',
      as: 'The same count check without the 5.19 ownership rules: a DMA-API driver also binds to the hot-added member.',
      expect: { 'private-domain-hot-add': ['WARN', 'I4', 'I5', 'I17'] },
    },
    {
      variant: 'v5.19-hot-add-default-domain',
      as: 'v5.19 to ~v6.3: the hot-added member gets the default domain unless the group has an owner.',
      expect: { 'private-domain-hot-add': ['I7'] },
    },
    {
      variant: 'w5-singleton-lockdown',
      as: 'RFC v2 02/11: the lockdown predicate instead of the count.',
      expect: { 'private-domain-hot-add': ['WARN', 'I5', 'I17'] },
    },
    {
      variant: 'w6-immutable-singleton',
      as: 'RFC v3: attach only on a group that can never gain a member.',
      expect: { 'private-domain-hot-add': 'holds' },
    },
  ],
  scenarios: ['private-domain-hot-add'],
  invariants: ['WARN', 'I4', 'I5', 'I7', 'I17'],
});
