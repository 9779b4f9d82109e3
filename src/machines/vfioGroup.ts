/**
 * The legacy VFIO group file /dev/vfio/$GROUP and its container (struct vfio_group,
 * drivers/vfio/group.c and drivers/vfio/container.c; kernel pinned in src/kernel/version.ts) as
 * an XState region.
 *
 * States `closed`, `open`, `container_set`, `iommu_set`: each one's `description` says what it
 * means.
 *
 * Guards run the kernel call through the semantic layer and compare the resulting mode; the
 * `'*'` fallback keeps the region equal to `modeOf(context)` under any design variant.
 */
import { assign, setup } from 'xstate';
import { regionTransitions, type KernelCall } from './lifecycleRegion.ts';
import { applyEvent, successor, type IommuEvent } from './events.ts';
import type { Scenario } from './scenario.ts';
import { initialState, type SystemState } from './state.ts';
import { currentVariant, kernelOf, type Variant } from './variants/index.ts';

/** The state values of the VFIO group region. */
export type VfioGroupMode = 'closed' | 'open' | 'container_set' | 'iommu_set';

/** Every VFIO group mode, in document order. */
export const VFIO_GROUP_MODES: readonly VfioGroupMode[] = ['closed', 'open', 'container_set', 'iommu_set'];

/** The VFIO group region's state value for IOMMU group `group`'s VFIO group file. */
export function modeOf(s: SystemState, group = 0): VfioGroupMode {
  const v = s.vfio_groups[group]!;
  if (v.opened_by === null) return 'closed';
  if (!v.container) return 'open';
  return s.containers[v.opened_by]?.iommu_set ? 'iommu_set' : 'container_set';
}


/** The guards the region's transitions name, implemented over a kernel call. */
export const vfioGroupGuards = (call: KernelCall) => ({
  /** The call has a successor and it puts group `p.group`'s VFIO group file in `mode`. */
  vfioGroupLeadsTo: ({ context, event }: { context: SystemState; event: IommuEvent }, p: { mode: VfioGroupMode; group: number }) => {
    const next = call(context, event);
    return next !== null && modeOf(next, p.group) === p.mode;
  },
});

/** How the region is built: its initial mode, and whether it applies the kernel call. */
export interface VfioGroupRegionOptions {
  readonly initial: VfioGroupMode;
  /** Exactly one region of a machine applies the call (action `applyKernelCall`). */
  readonly apply: boolean;
  /** The IOMMU group whose VFIO group file the region follows; 0 when omitted. */
  readonly group?: number;
}

const DEFERRED = 'vfio_device_fops_release (drivers/vfio/vfio_main.c) -> vfio_group_unuse_container -> fput of the group file its opener closed already -> vfio_group_fops_release (group.c) -> vfio_group_detach_container (container.c): the deferred release, run by the last device fd.';

const VF_GONE = 'pci_disable_sriov (drivers/pci/iov.c) -> device_release_driver of the VF -> vfio_device_remove_group (group.c) -> vfio_group_detach_container (container.c): the group\'s last VFIO device, a VF, goes; the file stays open.';

/** The VFIO group region config: the group file's states and the kernel calls that move it. */
export function vfioGroupRegion({ initial, apply, group = 0 }: VfioGroupRegionOptions) {
  const { to, fallback } = regionTransitions('vfioGroupLeadsTo' as const, VFIO_GROUP_MODES, (mode) => ({ mode, group }), apply);
  return {
    initial,
    states: {
      closed: {
        description: 'nobody holds the group file',
        on: {
          vfio_group_fops_open: to('open', 'vfio_group_fops_open (drivers/vfio/group.c): single opener, VFIO devices present, no cdev open.'),
          '*': fallback('closed'),
        },
      },
      open: {
        description: 'a context opened it (vfio_group_fops_open), no container yet',
        on: {
          vfio_group_ioctl_set_container: [
            to('container_set', 'vfio_group_ioctl_set_container (group.c) -> vfio_container_attach_group (container.c).'),
            to('iommu_set', 'vfio_group_ioctl_set_container (group.c) -> vfio_container_attach_group (container.c): the container already has its type1 backend (another group ran VFIO_SET_IOMMU), so attach_group runs at once.'),
          ],
          vfio_group_fops_release: to('closed', 'vfio_group_fops_release (group.c).'),
          '*': fallback('open'),
        },
      },
      container_set: {
        description: 'VFIO_GROUP_SET_CONTAINER claimed the group (iommu_group_claim_dma_owner)',
        on: {
          vfio_ioctl_set_iommu: to('iommu_set', 'vfio_ioctl_set_iommu (container.c): the type1 backend runs iommu_attach_group.'),
          vfio_group_fops_release: to('closed', 'vfio_group_fops_release (group.c) -> vfio_group_detach_container (container.c).'),
          device_release_driver: to('open', '__device_release_driver (drivers/base/dd.c) -> vfio_device_remove_group (group.c) -> vfio_group_detach_container (container.c): the last VFIO device leaves; the file stays open.'),
          pci_disable_sriov: to('open', VF_GONE),
          '*': fallback('container_set'),
        },
      },
      iommu_set: {
        description: 'VFIO_SET_IOMMU attached the group to the container\'s domain',
        on: {
          vfio_group_fops_release: to('closed', 'vfio_group_fops_release (group.c) -> vfio_group_detach_container (container.c).'),
          device_release_driver: to('open', '__device_release_driver (dd.c) -> vfio_device_remove_group (group.c) -> vfio_group_detach_container (container.c): iommu_detach_group, then release ownership.'),
          pci_disable_sriov: to('open', VF_GONE),
          vfio_device_fops_release: to('closed', DEFERRED),
          '*': fallback('iommu_set'),
        },
      },
    },
  };
}

/** A standalone VFIO group machine (for docs and tests): context is the whole model state. */
export function createVfioGroupMachine(scenario: Scenario, variant: Variant = currentVariant) {
  const env = { k: kernelOf(variant), scenario };
  const call: KernelCall = (s, e) => successor(applyEvent(env, s, e));
  const init = initialState(scenario);
  return setup({
    types: { context: {} as SystemState, events: {} as IommuEvent },
    guards: vfioGroupGuards(call),
    actions: { applyKernelCall: assign(({ context, event }) => call(context, event) ?? context) },
  }).createMachine({ id: 'vfioGroup', context: init, ...vfioGroupRegion({ initial: modeOf(init), apply: true }) });
}
