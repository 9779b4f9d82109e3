import { defineInvariant } from './defineInvariant.ts';

/**
 * REC: from every reachable state the machine can return to rest. A property of the whole
 * reachable graph, not of one state or step: judged by the opt-in pass in
 * src/engine/recoverability.ts (`check --recoverability`), which defines rest.
 */
export const returnsToRest = defineInvariant({
  id: 'REC',
  name: 'ReturnsToRest',
  kind: 'recoverability',
  description:
    'From every reachable state some sequence of calls reaches rest: every user file closed, no owner, every group on its default domain, owner_cnt equal to the bound DMA-API drivers (opt-in: check --recoverability).',
  kernelRef:
    'vfio_group_fops_release / vfio_device_fops_release (drivers/vfio), iommu_group_release_dma_owner, pci_dma_cleanup (drivers/pci/pci-driver.c), really_probe error path (drivers/base/dd.c)',
});
