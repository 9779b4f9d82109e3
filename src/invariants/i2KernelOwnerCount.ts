import { defineInvariant } from './defineInvariant.ts';
import { countDevicesPerGroup } from './deviceScan.ts';
import { dmaApiBound, inGroup } from './facts.ts';

/** I2: without an owner, owner_cnt counts exactly the bound DMA-API drivers. */
export const i2KernelOwnerCount = defineInvariant({
  id: 'I2',
  name: 'KernelOwnerCount',
  description: 'owner == NULL => owner_cnt == number of devices bound to DMA-API drivers.',
  kernelRef: 'pci_dma_configure/pci_dma_cleanup (drivers/pci/pci-driver.c), really_probe error path (drivers/base/dd.c)',
  scan: countDevicesPerGroup({
    counts: (s, i) => s.devices[i]!.present && dmaApiBound(s.devices[i]!),
    check(s, gi, n, scenario) {
      const g = s.groups[gi]!;
      if (g.owner !== null) return null;
      return g.owner_cnt === n ? null : `owner_cnt${inGroup(scenario, gi)} is ${g.owner_cnt} but ${n} DMA-API driver(s) are bound`;
    },
  }),
});
