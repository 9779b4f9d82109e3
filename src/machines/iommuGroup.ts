/**
 * struct iommu_group (drivers/iommu/iommu.c, kernel pinned in src/kernel/version.ts) as an XState
 * region: the abstract ownership modes of kernel-semantics.md 1.2.
 *
 * States `free`, `kernel`, `owned`: each one's `description` says what it means.
 *
 * The region never decides anything itself: every guard runs the kernel call through the
 * semantic layer (src/machines/semantics) and compares the resulting mode. Named transitions are
 * the lifecycle edges of the current kernel; the `'*'` fallback keeps the region equal to
 * `modeOf(context)` when a design variant changes the mode some other way.
 */
import { assign, setup } from 'xstate';
import { regionTransitions, type KernelCall } from './lifecycleRegion.ts';
import { applyEvent, successor, type IommuEvent } from './events.ts';
import type { Scenario } from './scenario.ts';
import { initialState, type SystemState } from './state.ts';
import { currentVariant, kernelOf, type Variant } from './variants/index.ts';

/** The state values of the iommu_group region. */
export type IommuGroupMode = 'free' | 'kernel' | 'owned';

/** Every iommu_group mode, in document order. */
export const IOMMU_GROUP_MODES: readonly IommuGroupMode[] = ['free', 'kernel', 'owned'];

/** The iommu_group region's state value for IOMMU group `group` of a model state. */
export function modeOf(s: SystemState, group = 0): IommuGroupMode {
  const g = s.groups[group]!;
  if (g.owner !== null) return 'owned';
  return g.owner_cnt !== 0 ? 'kernel' : 'free';
}


/** The guards the region's transitions name, implemented over a kernel call. */
export const iommuGroupGuards = (call: KernelCall) => ({
  /** The call has a successor and it puts IOMMU group `p.group` in `mode`. */
  iommuGroupLeadsTo: ({ context, event }: { context: SystemState; event: IommuEvent }, p: { mode: IommuGroupMode; group: number }) => {
    const next = call(context, event);
    return next !== null && modeOf(next, p.group) === p.mode;
  },
});

/** How a region is built: its initial mode, and whether its transitions apply the kernel call to the context. */
export interface IommuGroupRegionOptions {
  readonly initial: IommuGroupMode;
  /** Exactly one region of a machine applies the call (action `applyKernelCall`). */
  readonly apply: boolean;
  /** The IOMMU group the region follows (index into SystemState.groups); 0 when omitted. */
  readonly group?: number;
}

/** The iommu_group region config: states `free`, `kernel`, `owned` and their kernel-call transitions. */
export function iommuGroupRegion({ initial, apply, group = 0 }: IommuGroupRegionOptions) {
  const { to, fallback } = regionTransitions('iommuGroupLeadsTo' as const, IOMMU_GROUP_MODES, (mode) => ({ mode, group }), apply);
  return {
    initial,
    states: {
      free: {
        description: 'owner_cnt == 0, owner == NULL',
        on: {
          really_probe: to('kernel', 'really_probe (drivers/base/dd.c) -> pci_dma_configure (drivers/pci/pci-driver.c) -> iommu_device_use_default_domain (iommu.c): the first DMA-API driver binds, owner_cnt 0 -> 1.'),
          vfio_group_ioctl_set_container: to('owned', 'vfio_group_ioctl_set_container (drivers/vfio/group.c) -> vfio_container_attach_group (drivers/vfio/container.c) -> iommu_group_claim_dma_owner (iommu.c).'),
          vfio_df_ioctl_bind_iommufd: to('owned', 'vfio_df_ioctl_bind_iommufd (drivers/vfio/device_cdev.c) -> iommufd_device_bind (drivers/iommu/iommufd/device.c) -> iommu_device_claim_dma_owner (iommu.c).'),
          '*': fallback('free'),
        },
      },
      kernel: {
        description: 'owner == NULL, owner_cnt != 0: DMA-API drivers bound (a negative owner_cnt, which only bug-unuse-underflow produces and TypeOK rejects, also lands here)',
        on: {
          device_release_driver: to('free', '__device_release_driver (dd.c) -> pci_dma_cleanup (pci-driver.c) -> iommu_device_unuse_default_domain (iommu.c): the last DMA-API driver unbinds.'),
          pci_disable_sriov: to('free', 'pci_disable_sriov (drivers/pci/iov.c) -> pci_stop_and_remove_bus_device -> device_release_driver: the VF\'s DMA-API driver unbinds as the VF goes.'),
          '*': fallback('kernel'),
        },
      },
      owned: {
        description: 'owner != NULL: a VFIO group or an iommufd context claimed the group',
        on: {
          vfio_group_fops_release: to('free', 'vfio_group_fops_release (group.c) -> vfio_group_detach_container (container.c) -> iommu_group_release_dma_owner (iommu.c).'),
          vfio_device_fops_release: to('free', 'vfio_device_fops_release (vfio_main.c) -> fput of the group file its opener closed already -> vfio_group_fops_release (group.c) -> vfio_group_detach_container (container.c) -> iommu_group_release_dma_owner (iommu.c): the deferred release.'),
          device_release_driver: to('free', '__device_release_driver (dd.c) -> vfio_unregister_group_dev -> vfio_device_remove_group (group.c) -> vfio_group_detach_container (container.c): the last VFIO device leaves.'),
          pci_disable_sriov: to('free', 'pci_disable_sriov (drivers/pci/iov.c) -> device_release_driver of the VF -> vfio_device_remove_group (group.c) -> vfio_group_detach_container (container.c): the VF\'s group loses its last VFIO device.'),
          vfio_df_unbind_iommufd: to('free', 'vfio_df_unbind_iommufd (device_cdev.c) -> iommufd_device_unbind (iommufd/device.c) -> iommu_device_release_dma_owner (iommu.c): the last claim is dropped.'),
          '*': fallback('owned'),
        },
      },
    },
  };
}

/** A standalone iommu_group machine (for docs and tests): context is the whole model state. */
export function createIommuGroupMachine(scenario: Scenario, variant: Variant = currentVariant) {
  const env = { k: kernelOf(variant), scenario };
  const call: KernelCall = (s, e) => successor(applyEvent(env, s, e));
  const init = initialState(scenario);
  return setup({
    types: { context: {} as SystemState, events: {} as IommuEvent },
    guards: iommuGroupGuards(call),
    actions: { applyKernelCall: assign(({ context, event }) => call(context, event) ?? context) },
  }).createMachine({ id: 'iommuGroup', context: init, ...iommuGroupRegion({ initial: modeOf(init), apply: true }) });
}
