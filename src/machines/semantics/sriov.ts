/**
 * SR-IOV: drivers/pci/iov.c (kernel pinned in src/kernel/version.ts; read in docs/kernel-notes.md
 * section 8). A PF driver's sriov_configure enables its VFs with pci_enable_sriov and disables
 * them with pci_disable_sriov; each VF is a PCI device of its own, with its own requester ID and
 * IOMMU group (src/hardware derives which).
 *
 * Simplifications: all of a PF's VFs are enabled or disabled together (sriov_numvfs is the
 * scenario's VF count or 0); a VF's driver is bound by the driver core afterwards (no
 * autoprobe); pci_disable_sriov removing a VF that VFIO holds open blocks in the kernel
 * (vfio_unregister_group_dev asks user space to release it and waits), which the model shows as
 * -EBUSY with nothing removed, as it does for an unbind.
 */
import { err, ok } from '../../kernel/errno.ts';
import { DRIVERS, isDriverName } from '../../kernel/drivers.ts';
import type { Scenario } from '../scenario.ts';
import type { SystemState } from '../state.ts';
import type { Kernel } from './kernel.ts';

type SriovFns = Pick<Kernel, 'pci_enable_sriov' | 'pci_disable_sriov'>;

/** The VF slots of PF slot `pf`. */
export const vfsOf = (scenario: Scenario, pf: number): number[] => scenario.devices.flatMap((d, i) => (d.pf === pf ? [i] : []));

/** SR-IOV is enabled on PF `pf`: its VFs exist (all together). */
export const sriovEnabled = (scenario: Scenario, s: SystemState, pf: number): boolean => vfsOf(scenario, pf).some((vf) => s.devices[vf]?.present);

export const sriov: SriovFns = {
  /**
   * pci_enable_sriov (iov.c) from the PF driver's sriov_configure: -ENODEV without VFs to add
   * (sriov_numvfs_store: no driver or callback is -ENOENT; the model offers the call only to a
   * bound PF driver), -EBUSY when VFs already exist; then each VF is added
   * (pci_iov_add_virtfn -> pci_bus_add_device): the IOMMU core probes it into its group.
   */
  pci_enable_sriov(env, s, { dev }) {
    const vfs = vfsOf(env.scenario, dev);
    if (vfs.length === 0) return err('ENODEV', 'the PF has no VFs in the scenario');
    const drv = s.devices[dev]?.driver;
    if (!drv || !isDriverName(drv) || !DRIVERS[drv].sriovPf) return err('ENOENT', 'no PF driver with sriov_configure is bound');
    if (sriovEnabled(env.scenario, s, dev)) return err('EBUSY', 'VFs already exist (sriov_numvfs != 0)');
    let cur = s;
    for (const vf of vfs) {
      const r = env.k.iommu_probe_device(env, cur, { dev: vf });
      if (!r.ok) return r;
      cur = r.next;
    }
    return ok(cur);
  },

  /**
   * pci_disable_sriov (iov.c) -> sriov_disable -> pci_iov_remove_virtfn ->
   * pci_stop_and_remove_bus_device: each VF's driver is released (device_release_driver), then the
   * device leaves its group (iommu_release_device). A VF open through VFIO makes the whole call
   * -EBUSY in the model (the kernel blocks in vfio_unregister_group_dev until user space lets go).
   */
  pci_disable_sriov(env, s, { dev }) {
    const vfs = vfsOf(env.scenario, dev).filter((vf) => s.devices[vf]?.present);
    if (vfs.length === 0) return ok(s);
    const held = vfs.find((vf) => s.devices[vf]!.group_fd !== null || s.devices[vf]!.iommufd !== null);
    if (held !== undefined) return err('EBUSY', `VF ${env.scenario.devices[held]?.name} is open through VFIO: vfio_unregister_group_dev waits until it is released`);
    let cur = s;
    for (const vf of vfs) {
      const u = env.k.device_release_driver(env, cur, { dev: vf });
      if (!u.ok) return u;
      const r = env.k.iommu_release_device(env, u.next, { dev: vf });
      if (!r.ok) return r;
      cur = r.next;
    }
    return ok(cur);
  },
};
