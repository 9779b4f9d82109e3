import { defineInvariant } from './defineInvariant.ts';
import { countDevices } from './deviceScan.ts';
import { dmaApiBound } from './facts.ts';

/** I2: without an owner, owner_cnt counts exactly the bound DMA-API drivers. */
export const i2KernelOwnerCount = defineInvariant({
  id: 'I2',
  name: 'KernelOwnerCount',
  description: 'owner == NULL => owner_cnt == number of devices bound to DMA-API drivers.',
  kernelRef: 'pci_dma_configure/pci_dma_cleanup (drivers/pci/pci-driver.c), really_probe error path (drivers/base/dd.c)',
  scan: countDevices({
    counts: (s, i) => s.devices[i]!.present && dmaApiBound(s.devices[i]!),
    check(s, n) {
      if (s.group.owner !== null) return null;
      return s.group.owner_cnt === n ? null : `owner_cnt is ${s.group.owner_cnt} but ${n} DMA-API driver(s) are bound`;
    },
  }),
});
