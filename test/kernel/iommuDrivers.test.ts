/**
 * The table of IOMMU driver functions behind the model's ATS/IOTLB steps (src/kernel/iommuDrivers.ts):
 * every driver has a function for every step, each chain ends in it, and `iommu-mc list` shows them;
 * the step that takes ATS off on a domain switch carries each driver's exception in its note.
 */
import { describe, expect, it } from 'vitest';
import { DRIVER_STEPS, driverCallText, IOMMU_DRIVER_CALLS, IOMMU_DRIVER_SOURCES, IOMMU_DRIVERS, isDriverStep } from '../../src/kernel/iommuDrivers.ts';
import { run } from '../helpers/cli.ts';

describe('the IOMMU driver functions behind the ATS/IOTLB steps', () => {
  it('every driver has a function, a call chain ending in it and a driver file for every step', () => {
    for (const d of IOMMU_DRIVERS) {
      for (const step of DRIVER_STEPS) {
        const c = IOMMU_DRIVER_CALLS[d][step];
        expect(c.chain.at(-1), `${d} ${step}`).toBe(c.fn);
        expect(c.file).toMatch(/^drivers\/iommu\/(intel|arm\/arm-smmu-v3|amd)\//);
        expect(IOMMU_DRIVER_SOURCES[d].files).toContain(c.file);
      }
    }
  });

  it('names the device-TLB flush of each driver as read: cache_tag_flush_devtlb_psi, arm_smmu_atc_inv_domain, device_flush_iotlb', () => {
    expect(IOMMU_DRIVERS.map((d) => IOMMU_DRIVER_CALLS[d].iommu_flush_dev_iotlb.fn)).toEqual(['cache_tag_flush_devtlb_psi', 'arm_smmu_atc_inv_domain', 'device_flush_iotlb']);
    expect(driverCallText('arm-smmu-v3', 'iommu_flush_dev_iotlb')).toBe('arm-smmu-v3: arm_smmu_iotlb_sync -> arm_smmu_tlb_inv_range_domain -> arm_smmu_atc_inv_domain (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c)');
    expect(isDriverStep('iommu_iotlb_sync')).toBe(true);
    expect(isDriverStep('dma_unmap_page')).toBe(false);
  });

  it('names the function of each driver that takes ATS off when the RID leaves its domain, with where the driver differs', () => {
    expect(isDriverStep('device_block_translation')).toBe(true);
    expect(DRIVER_STEPS.at(-1)).toBe('device_block_translation');
    expect(IOMMU_DRIVERS.map((d) => IOMMU_DRIVER_CALLS[d].device_block_translation.fn)).toEqual(['iommu_disable_pci_ats', 'arm_smmu_attach_prepare', 'pdev_disable_cap_ats']);
    expect(IOMMU_DRIVER_CALLS.intel.device_block_translation.chain).toEqual(['blocking_domain_attach_dev', 'device_block_translation', 'domain_context_clear', 'iommu_disable_pci_ats']);
    expect(driverCallText('arm-smmu-v3', 'device_block_translation')).toBe(
      'arm-smmu-v3: arm_smmu_attach_dev_blocked -> arm_smmu_attach_dev_ste -> arm_smmu_attach_prepare (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c); pci_disable_ats, then the abort STE, then the whole ATC invalidated (arm_smmu_attach_commit); ATS stays on while PASIDs use the CD table',
    );
    // Every driver has a note for this step (none takes it in every configuration); the unmap steps have none.
    for (const d of IOMMU_DRIVERS) {
      expect(IOMMU_DRIVER_CALLS[d].device_block_translation.note, d).toBeTruthy();
      expect(IOMMU_DRIVER_CALLS[d].iommu_iotlb_sync.note, d).toBeUndefined();
    }
    expect(driverCallText('intel', 'device_block_translation')).toMatch(/; legacy mode only: scalable mode keeps ATS .*intel_pasid_tear_down_entry.*ats-always-on$/);
  });

  it('iommu-mc list shows the table, and --json the driver of each scenario', async () => {
    const text = (await run(['list'])).stdout;
    expect(text).toMatch(/IOMMU drivers \(scenario platform: iommuDriver; default intel\)/);
    expect(text).toMatch(/arm-smmu-v3\s+iommu_flush_dev_iotlb\s+arm_smmu_iotlb_sync -> arm_smmu_tlb_inv_range_domain -> arm_smmu_atc_inv_domain\s+drivers\/iommu\/arm\/arm-smmu-v3\/arm-smmu-v3\.c/);
    const j = JSON.parse((await run(['list', '--json'])).stdout) as { scenarios: { name: string; iommuDriver: string }[]; iommuDrivers: typeof IOMMU_DRIVER_CALLS };
    expect(j.scenarios.find((s) => s.name === 'ats-invalidation-order-smmuv3')!.iommuDriver).toBe('arm-smmu-v3');
    expect(j.scenarios.find((s) => s.name === 'ats-invalidation-order')!.iommuDriver).toBe('intel');
    expect(j.iommuDrivers.amd.pci_enable_ats.fn).toBe('pdev_enable_cap_ats');
    expect(text).toMatch(/amd\s+device_block_translation\s+amd_iommu_attach_device -> detach_device -> pdev_disable_caps -> pdev_disable_cap_ats\s+drivers\/iommu\/amd\/iommu\.c/);
    expect(j.iommuDrivers.amd.device_block_translation.note).toMatch(/blocked_domain_attach_device/);
  });
});
