/**
 * MSI isolation on the IOMMU side (issue 16, Deliver 4): drivers/iommu/iommu.c
 * iommu_group_has_isolated_msi, and the refusal both user paths build on it (docs/kernel-notes.md
 * section "Interrupts": vfio_iommu_type1_attach_group in vfioType1.ts, iommufd_device_bind in
 * iommufd.ts).
 *
 * iommu_group_has_isolated_msi ("iommu: Add iommu_group_has_isolated_msi()", Jason Gunthorpe,
 * v6.3, read from the patch, id 960431409): `ret = true; list_for_each_entry(group_dev,
 * &group->devices, list) ret &= msi_device_has_isolated_msi(group_dev->dev) ||
 * device_iommu_capable(group_dev->dev, IOMMU_CAP_INTR_REMAP);` under group->mutex.
 *
 * Simplification: whether a device's MSIs are isolated (its IRQ domain has
 * IRQ_DOMAIN_FLAG_ISOLATED_MSI: an ARM GICv3 ITS, or interrupt remapping enabled: VT-d / AMD-Vi
 * IR, which is also what IOMMU_CAP_INTR_REMAP reports) is one platform-wide fact,
 * platform.irqRemapping (src/machines/platform.ts): no machine mixes MSI controllers per device.
 */
import { err, ok, type KernelResult } from '../../kernel/errno.ts';
import { platformOf } from '../platform.ts';
import { presentDevices, type SystemState } from '../state.ts';
import type { Env, Kernel } from './kernel.ts';

type IommuMsiFns = Pick<Kernel, 'iommu_group_has_isolated_msi'>;

export const iommuMsi: IommuMsiFns = {
  /**
   * iommu_group_has_isolated_msi (iommu.c): true (ok) when every device of group->devices has
   * isolated MSI or an IOMMU with IOMMU_CAP_INTR_REMAP; an empty group answers true (`ret =
   * true`). A yes/no answer, as a KernelResult like pci_ats_supported: ok = isolated, -EPERM with
   * the reason = not (the errno both callers then return).
   */
  iommu_group_has_isolated_msi(env, s, { group }) {
    if (platformOf(env.scenario).irqRemapping || presentDevices(s, group).length === 0) return ok(s);
    return err('EPERM', 'iommu_group_has_isolated_msi: no interrupt remapping (no msi_device_has_isolated_msi, no IOMMU_CAP_INTR_REMAP): a DMA write to the MSI doorbell can raise any interrupt');
  },
};

/**
 * The test both user paths make before handing a group's devices to user space
 * (vfio_iommu_type1_attach_group, iommufd_device_bind): `if (!allow_unsafe_interrupts &&
 * !iommu_group_has_isolated_msi(group))` -> -EPERM. With the module parameter set the group is
 * accepted: type1 says nothing, iommufd a dev_warn ("MSI interrupts are not secure"), neither a
 * WARN_ON, so the state records nothing. Returns the state to go on with, or the refusal.
 */
export function msiIsolationCheck(env: Env, s: SystemState, group: number, param: 'vfio_iommu_type1' | 'iommufd'): KernelResult<SystemState> {
  const r = env.k.iommu_group_has_isolated_msi(env, s, { group });
  if (r.ok) return r;
  if (platformOf(env.scenario).allowUnsafeInterrupts) return ok(s);
  return err('EPERM', `${r.reason}; ${param}.allow_unsafe_interrupts is off`);
}
