/**
 * The MSI doorbell (issue 16, Deliver 4): a device signals an interrupt with a DMA write (MemWr)
 * of the message data to the interrupt controller's doorbell address. What such a write raises
 * is a fact of the hardware, not of the kernel's rules: with interrupt remapping (VT-d / AMD-Vi
 * IR, an ARM GICv3 ITS translating by device ID) the remapping table, indexed by the requester
 * ID, lets the write raise only the vectors programmed for that device; without it the message
 * data names the vector, so the device can raise any vector of the machine (host devices', other
 * users'). A user who controls a device controls what it writes, whatever its driver intended.
 *
 * Where the doorbell sits (platform.msi): 'hw' = IOMMU_RESV_MSI, the x86 window 0xfee00000 that
 * the IOMMU never translates (interrupt requests bypass DMA remapping), so every domain reaches
 * it, the blocking domain included; 'sw' = IOMMU_RESV_SW_MSI (ARM SMMU), the doorbell page is an
 * IOVA mapped into the device's domain: type1 takes the MSI cookie at attach
 * (iommu_get_msi_cookie), iommufd maps it at MSI compose time (iommufd_sw_msi) and into every
 * newly attached hwpt (iommufd_group_setup_msi), dma-iommu on the default domain
 * (iommu_dma_prepare_msi). Simplification: derived, not state: every paging domain a device can
 * be on has the doorbell, the blocking domain (and no domain) does not. It matters for isolation
 * only there: a bound but unattached iommufd device cannot reach the doorbell on 'sw'.
 */
import { BLOCKING_DOMAIN } from '../kernel/domains.ts';
import type { IommuEvent } from './events.ts';
import { platformOf } from './platform.ts';
import type { Scenario } from './scenario.ts';
import { deviceFdHolder, type SystemState } from './state.ts';

/** The user context controlling device `dev`: the holder of its VFIO device fd or its iommufd binding; null when none. */
export function userOfDevice(s: SystemState, dev: number): number | null {
  return s.devices[dev]?.present ? deviceFdHolder(s, dev) : null;
}

/** A DMA write of `dev` to the MSI doorbell reaches the interrupt controller (see the file comment). */
export function doorbellReachable(scenario: Scenario, s: SystemState, dev: number): boolean {
  const hw = s.devices[dev]?.hw ?? null;
  if (hw === null) return false;
  return platformOf(scenario).msi === 'hw' || hw !== BLOCKING_DOMAIN;
}

/** What a DMA write of `dev` to the MSI doorbell raises: nothing, only the device's own vectors, or any vector. */
export type MsiWriteOutcome = 'none' | 'own' | 'any';

/** The outcome of a doorbell write by `dev` in `s` (hardware: platform.irqRemapping, never the kernel's rule). */
export function msiWriteOutcome(scenario: Scenario, s: SystemState, dev: number): MsiWriteOutcome {
  if (!doorbellReachable(scenario, s, dev)) return 'none';
  return platformOf(scenario).irqRemapping ? 'own' : 'any';
}

/** The doorbell write offered on a present `msi` device that a user context controls. */
export function msiEvents(s: SystemState, dev: number): IommuEvent[] {
  return userOfDevice(s, dev) === null ? [] : [{ type: 'msi_doorbell_write', dev }];
}
