/**
 * A device slot's driver binding (struct device->driver, drivers/base/dd.c; membership of the
 * group, drivers/iommu/iommu.c; kernel pinned in src/kernel/version.ts) as an XState region.
 *
 * States `absent`, `no_driver`, `dma_api_driver`, `managed_driver`: each one's `description`
 * says what it means.
 *
 * Guards run the kernel call through the semantic layer and compare the resulting mode; the
 * `'*'` fallback keeps the region equal to `modeOf(context, dev)` under any design variant.
 */
import { assign, setup } from 'xstate';
import { regionTransitions, type KernelCall } from './lifecycleRegion.ts';
import { DRIVERS, isDriverName } from '../kernel/drivers.ts';
import { applyEvent, successor, type IommuEvent } from './events.ts';
import type { Scenario } from './scenario.ts';
import { initialState, type SystemState } from './state.ts';
import { currentVariant, kernelOf, type Variant } from './variants/index.ts';

/** The state values of a device region. */
export type DeviceMode = 'absent' | 'no_driver' | 'dma_api_driver' | 'managed_driver';

/** Every device mode, in document order. */
export const DEVICE_MODES: readonly DeviceMode[] = ['absent', 'no_driver', 'dma_api_driver', 'managed_driver'];

/** Device `dev`'s region state value for a model state. */
export function modeOf(s: SystemState, dev: number): DeviceMode {
  const d = s.devices[dev];
  if (!d?.present) return 'absent';
  if (d.driver === null) return 'no_driver';
  return isDriverName(d.driver) && DRIVERS[d.driver].driverManagedDma ? 'managed_driver' : 'dma_api_driver';
}


/** The guards the region's transitions name, implemented over a kernel call. */
export const deviceGuards = (call: KernelCall) => ({
  /** The call has a successor and it puts device `dev` in `mode`. */
  deviceLeadsTo: ({ context, event }: { context: SystemState; event: IommuEvent }, p: { dev: number; mode: DeviceMode }) => {
    const next = call(context, event);
    return next !== null && modeOf(next, p.dev) === p.mode;
  },
});

/** How a device region is built: its initial mode, and whether it applies the kernel call. */
export interface DeviceRegionOptions {
  readonly initial: DeviceMode;
  /** Exactly one region of a machine applies the call (action `applyKernelCall`). */
  readonly apply: boolean;
}

const VF_ADD = 'pci_enable_sriov (drivers/pci/iov.c) -> pci_iov_add_virtfn: the PF driver adds its VFs; each is probed into its IOMMU group.';
const VF_REMOVE = 'pci_disable_sriov (drivers/pci/iov.c) -> pci_iov_remove_virtfn -> pci_stop_and_remove_bus_device: the VF\'s driver is released and the VF leaves its group.';
const PF_REMOVE = '__device_release_driver (dd.c) of the PF: its remove() disables SR-IOV first (pci_disable_sriov), so the VF leaves its group.';
const PROBE = 'really_probe (drivers/base/dd.c): dev->driver is set; pci_dma_configure (drivers/pci/pci-driver.c) decides which kind by driver_managed_dma.';

/** Device `dev`'s region config: its binding states and the kernel calls that move it. */
export function deviceRegion(dev: number, { initial, apply }: DeviceRegionOptions) {
  const { to, fallback } = regionTransitions('deviceLeadsTo' as const, DEVICE_MODES, (mode) => ({ dev, mode }), apply);
  return {
    initial,
    states: {
      absent: {
        description: 'the device is not in the group (not probed by the IOMMU core, or released)',
        on: {
          iommu_probe_device: to('no_driver', 'iommu_probe_device -> __iommu_probe_device (drivers/iommu/iommu.c): hot-add joins the group.'),
          pci_enable_sriov: to('no_driver', VF_ADD),
          '*': fallback('absent'),
        },
      },
      no_driver: {
        description: 'in the group, no driver bound',
        on: {
          really_probe: [to('dma_api_driver', PROBE), to('managed_driver', PROBE)],
          iommu_release_device: to('absent', 'iommu_release_device -> __iommu_group_remove_device (iommu.c): the device leaves the group.'),
          pci_disable_sriov: to('absent', VF_REMOVE),
          device_release_driver: to('absent', PF_REMOVE),
          '*': fallback('no_driver'),
        },
      },
      dma_api_driver: {
        description: 'a driver without driver_managed_dma is bound (it counts in owner_cnt)',
        on: {
          device_release_driver: [to('no_driver', '__device_release_driver (dd.c): remove(), pci_dma_cleanup, dev->driver = NULL.'), to('absent', PF_REMOVE)],
          pci_disable_sriov: to('absent', VF_REMOVE),
          '*': fallback('dma_api_driver'),
        },
      },
      managed_driver: {
        description: 'a driver_managed_dma driver is bound (vfio-pci, pci-stub, pcieport)',
        on: {
          device_release_driver: [to('no_driver', '__device_release_driver (dd.c); for vfio-pci, vfio_unregister_group_dev waits for fds.'), to('absent', PF_REMOVE)],
          pci_disable_sriov: to('absent', VF_REMOVE),
          '*': fallback('managed_driver'),
        },
      },
    },
  };
}

/** A standalone machine for device `dev`'s binding (for docs and tests): context is the whole model state. */
export function createDeviceMachine(scenario: Scenario, dev: number, variant: Variant = currentVariant) {
  const env = { k: kernelOf(variant), scenario };
  const call: KernelCall = (s, e) => successor(applyEvent(env, s, e));
  const init = initialState(scenario);
  return setup({
    types: { context: {} as SystemState, events: {} as IommuEvent },
    guards: deviceGuards(call),
    actions: { applyKernelCall: assign(({ context, event }) => call(context, event) ?? context) },
  }).createMachine({ id: `device${dev}`, context: init, ...deviceRegion(dev, { initial: modeOf(init, dev), apply: true }) });
}
