/**
 * A device's VFIO cdev + iommufd binding (struct iommufd_device, drivers/iommu/iommufd/device.c;
 * drivers/vfio/device_cdev.c, drivers/vfio/iommufd.c; kernel pinned in src/kernel/version.ts) as
 * an XState region.
 *
 * States `unbound`, `bound`, `attached`: each one's `description` says what it means.
 *
 * Guards run the kernel call through the semantic layer and compare the resulting mode; the
 * `'*'` fallback keeps the region equal to `modeOf(context, dev)` under any design variant.
 */
import { assign, setup } from 'xstate';
import { regionTransitions, type KernelCall } from './lifecycleRegion.ts';
import { applyEvent, successor, type IommuEvent } from './events.ts';
import type { Scenario } from './scenario.ts';
import { initialState, type SystemState } from './state.ts';
import { currentVariant, kernelOf, type Variant } from './variants/index.ts';

/** The state values of an iommufd device region. */
export type IommufdDeviceMode = 'unbound' | 'bound' | 'attached';

/** Every iommufd device mode, in document order. */
export const IOMMUFD_DEVICE_MODES: readonly IommufdDeviceMode[] = ['unbound', 'bound', 'attached'];

/** Device `dev`'s iommufd region state value for a model state. */
export function modeOf(s: SystemState, dev: number): IommufdDeviceMode {
  const b = s.devices[dev]?.iommufd;
  if (!b) return 'unbound';
  return b.hwpt === null ? 'bound' : 'attached';
}


/** The guards the region's transitions name, implemented over a kernel call. */
export const iommufdDeviceGuards = (call: KernelCall) => ({
  /** The call has a successor and it puts device `dev`'s iommufd binding in `mode`. */
  iommufdDeviceLeadsTo: (
    { context, event }: { context: SystemState; event: IommuEvent },
    p: { dev: number; mode: IommufdDeviceMode },
  ) => {
    const next = call(context, event);
    return next !== null && modeOf(next, p.dev) === p.mode;
  },
});

/** How an iommufd device region is built: its initial mode, and whether it applies the kernel call. */
export interface IommufdDeviceRegionOptions {
  readonly initial: IommufdDeviceMode;
  /** Exactly one region of a machine applies the call (action `applyKernelCall`). */
  readonly apply: boolean;
}

/** Device `dev`'s iommufd region config: bind, attach, detach, unbind. */
export function iommufdDeviceRegion(dev: number, { initial, apply }: IommufdDeviceRegionOptions) {
  const { to, fallback } = regionTransitions('iommufdDeviceLeadsTo' as const, IOMMUFD_DEVICE_MODES, (mode) => ({ dev, mode }), apply);
  return {
    initial,
    states: {
      unbound: {
        description: 'no iommufd binding (device->iommufd is null)',
        on: {
          vfio_df_ioctl_bind_iommufd: to('bound', 'vfio_df_ioctl_bind_iommufd (drivers/vfio/device_cdev.c) -> iommufd_device_bind (drivers/iommu/iommufd/device.c) -> iommu_device_claim_dma_owner (iommu.c).'),
          '*': fallback('unbound'),
        },
      },
      bound: {
        description: 'VFIO_DEVICE_BIND_IOMMUFD succeeded (access granted), no hwpt attached',
        on: {
          vfio_df_ioctl_attach_pt: to('attached', 'vfio_df_ioctl_attach_pt (device_cdev.c) -> vfio_iommufd_physical_attach_ioas (drivers/vfio/iommufd.c) -> iommufd_device_attach (iommufd/device.c).'),
          vfio_df_unbind_iommufd: to('unbound', 'vfio_df_unbind_iommufd (device_cdev.c) -> iommufd_device_unbind (iommufd/device.c).'),
          '*': fallback('bound'),
        },
      },
      attached: {
        description: 'VFIO_DEVICE_ATTACH_IOMMUFD_PT attached the device to a hwpt',
        on: {
          vfio_df_ioctl_detach_pt: to('bound', 'vfio_df_ioctl_detach_pt (device_cdev.c) -> iommufd_device_detach (iommufd/device.c).'),
          vfio_df_unbind_iommufd: to('unbound', 'vfio_df_unbind_iommufd (device_cdev.c): the physical unbind detaches first, then iommufd_device_unbind (iommufd/device.c).'),
          '*': fallback('attached'),
        },
      },
    },
  };
}

/** A standalone machine for device `dev`'s iommufd binding (for docs and tests): context is the whole model state. */
export function createIommufdDeviceMachine(scenario: Scenario, dev: number, variant: Variant = currentVariant) {
  const env = { k: kernelOf(variant), scenario };
  const call: KernelCall = (s, e) => successor(applyEvent(env, s, e));
  const init = initialState(scenario);
  return setup({
    types: { context: {} as SystemState, events: {} as IommuEvent },
    guards: iommufdDeviceGuards(call),
    actions: { applyKernelCall: assign(({ context, event }) => call(context, event) ?? context) },
  }).createMachine({
    id: `iommufdDevice${dev}`,
    context: init,
    ...iommufdDeviceRegion(dev, { initial: modeOf(init, dev), apply: true }),
  });
}
