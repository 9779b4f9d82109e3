/**
 * The kernel drivers a scenario may bind, described by the flags the ownership rules read.
 *
 * `driver_managed_dma` is a field of the bus-specific driver structs (struct pci_driver, ...);
 * see drivers/pci/pci-driver.c pci_dma_configure / pci_dma_cleanup.
 */

/** What the ownership model needs to know about a driver. */
export interface DriverInfo {
  /** One sentence: what this driver stands for in the model. */
  readonly description: string;
  /** `driver_managed_dma`: the bus skips iommu_device_use_default_domain (pci-stub, pcieport, vfio-pci). */
  readonly driverManagedDma: boolean;
  /** A VFIO driver: the device can be handed to user space (vfio-pci). */
  readonly vfio: boolean;
  /** The driver attaches a private unmanaged domain: with iommu_attach_device or iommu_attach_group. */
  readonly privateDomain: 'device' | 'group' | null;
  /** The driver binds process address spaces with iommu_sva_bind_device (SVA/PASID). */
  readonly sva: boolean;
  /** The driver's probe() fails after dma_configure ran, so really_probe takes its error path. */
  readonly probeFails: boolean;
  /** An SR-IOV PF driver: it enables and disables the PF's VFs (sriov_configure -> pci_enable_sriov / pci_disable_sriov). */
  readonly sriovPf: boolean;
}

const base = { driverManagedDma: false, vfio: false, privateDomain: null, sva: false, probeFails: false, sriovPf: false } as const;

/** The driver catalogue; names are real drivers whose behaviour the entry stands for. */
export const DRIVERS = {
  e1000e: { ...base, description: 'a DMA-API driver (iommu_device_use_default_domain at probe)' },
  'vfio-pci': {
    ...base,
    driverManagedDma: true,
    vfio: true,
    description: 'VFIO PCI driver: driver_managed_dma, exposes the device to user space',
  },
  'pci-stub': {
    ...base,
    driverManagedDma: true,
    description: 'pci-stub: driver_managed_dma, no DMA; accepted P2P exposure (W12)',
  },
  pcieport: {
    ...base,
    driverManagedDma: true,
    description: 'PCIe port services: driver_managed_dma; accepted P2P exposure (W12)',
  },
  'drm-msm': {
    ...base,
    privateDomain: 'device',
    description: 'DMA-API driver that attaches a private domain with iommu_attach_device',
  },
  'drm-tegra': {
    ...base,
    privateDomain: 'group',
    description: 'DMA-API driver that attaches a private domain with iommu_attach_group',
  },
  idxd: {
    ...base,
    sva: true,
    description: 'DMA-API driver that binds process address spaces with iommu_sva_bind_device',
  },
  'sriov-pf': {
    ...base,
    sriovPf: true,
    description: 'DMA-API SR-IOV PF driver (ixgbe, i40e, mlx5_core): enables its VFs with pci_enable_sriov, disables them on remove',
  },
  'probe-fails': {
    ...base,
    probeFails: true,
    description: 'DMA-API driver whose probe() returns an error after dma_configure',
  },
} as const satisfies Record<string, DriverInfo>;

export type DriverName = keyof typeof DRIVERS;

export const DRIVER_NAMES = Object.keys(DRIVERS) as DriverName[];

/** True when `name` is a driver of the catalogue. */
export const isDriverName = (name: string): name is DriverName => Object.hasOwn(DRIVERS, name);

/** Counted by owner_cnt while bound: a driver without driver_managed_dma. */
export const usesDmaApi = (name: DriverName): boolean => !DRIVERS[name].driverManagedDma;
