/**
 * Platform settings of a scenario (issue 16, Deliver 8): the facts about the machine around the
 * IOMMU groups that the kernel's isolation rules read but no device or group owns (interrupt
 * remapping, where the MSI doorbell sits, the VFIO/iommufd module parameters, the IOMMU's cache
 * coherency capability). A scenario file writes them under `platform:`; omitted fields take the
 * defaults below, which are the settings every scenario had before they existed.
 */
import { DEFAULT_IOMMU_DRIVER, type IommuDriver } from '../kernel/iommuDrivers.ts';
import type { Scenario } from './scenario.ts';

/** Where the MSI doorbell is for a device's DMA (the MSI reserved region the IOMMU driver reports). */
export type MsiRegion = 'hw' | 'sw';

/** The platform settings; every field optional in a scenario, defaults in `PLATFORM_DEFAULTS`. */
export interface PlatformSpec {
  /**
   * Interrupt remapping, or an MSI controller that checks the device ID (VT-d / AMD-Vi IR, an ARM
   * GICv3 ITS): every IRQ domain of the machine is isolated (irq_domain_is_msi_isolated), so
   * iommu_group_has_isolated_msi is true for every group (drivers/iommu/iommu.c).
   */
  readonly irqRemapping?: boolean;
  /**
   * The MSI region: 'hw' = IOMMU_RESV_MSI (x86: the 0xfee00000 window, never translated by the
   * IOMMU), 'sw' = IOMMU_RESV_SW_MSI (ARM SMMU: the doorbell is mapped into the device's domain
   * at an IOVA the kernel picks, the MSI cookie of iommu_get_msi_cookie / iommufd_sw_msi).
   */
  readonly msi?: MsiRegion;
  /**
   * The allow_unsafe_interrupts module parameter of vfio_iommu_type1 and of iommufd: user
   * ownership proceeds (with a warning) on a group whose MSIs are not isolated.
   */
  readonly allowUnsafeInterrupts?: boolean;
  /**
   * The IOMMU can force snooping (IOMMU_CAP_ENFORCE_CACHE_COHERENCY: VT-d snoop control; the
   * domain op enforce_cache_coherency), so no-snoop requests of attached devices are made coherent.
   * A device's own `enforceCoherency` overrides it for that device's IOMMU (src/machines/coherency.ts).
   */
  readonly enforceCoherency?: boolean;
  /**
   * The IOMMU driver (issue 15): intel (intel-iommu, VT-d), arm-smmu-v3 or amd (AMD-Vi). It names
   * the driver functions that traces, `iommu-mc list` and the docs cite for the ATS/IOTLB steps
   * (src/kernel/iommuDrivers.ts); the steps themselves are one generic rule for all three, so it
   * changes no state and no verdict. Omitted: intel (`iommuDriverOf`).
   */
  readonly iommuDriver?: IommuDriver;
}

/** The platform settings that change the model's behaviour (every field but the citation-only iommuDriver). */
export type PlatformFlags = Omit<PlatformSpec, 'iommuDriver'>;

/** The settings of a scenario that says nothing about its platform (every scenario before issue 16). */
export const PLATFORM_DEFAULTS: Required<PlatformFlags> = {
  irqRemapping: true,
  msi: 'hw',
  allowUnsafeInterrupts: false,
  enforceCoherency: true,
};

/** The scenario's platform settings, defaults filled in (iommuDriver only when the scenario names one: `iommuDriverOf`). */
export const platformOf = (scenario: Scenario): Required<PlatformFlags> & Pick<PlatformSpec, 'iommuDriver'> => ({ ...PLATFORM_DEFAULTS, ...scenario.platform });

/** The scenario's IOMMU driver: its `platform.iommuDriver`, else intel. */
export const iommuDriverOf = (scenario: Scenario): IommuDriver => scenario.platform?.iommuDriver ?? DEFAULT_IOMMU_DRIVER;
