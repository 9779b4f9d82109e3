/**
 * BAR access through vfio-pci (issue 16, Deliver 6): drivers/vfio/pci/vfio_pci_core.c (the zap, the
 * mmap fault handler, VFIO_DEVICE_RESET), vfio_pci_config.c (__vfio_pci_memory_enabled, the
 * command-register write), vfio_pci_rdwr.c (read()/write() of a BAR region) and the end of
 * drivers/pci/pci.c pci_try_reset_function. Read at gregkh/linux 1129c0011b90 (vfio_pci_core.c)
 * and 4464e5aa3aa4 (vfio_pci_config.c); docs/kernel-notes.md, "BAR access".
 *
 * vdev->memory_lock makes "zap + change what the BAR decodes" atomic against the fault handler
 * (down_read) and read()/write() (down_read): each locked section is one call here, except
 * VFIO_DEVICE_RESET, which holds the lock for write across the whole reset and is two calls
 * (vfio_pci_ioctl_reset, pci_dev_restore) with DeviceState.memory_lock set between them, so that a
 * user access through a PTE the zap missed can land in the middle. While it is held the enumerator
 * offers no call that takes the lock (they sleep in down_read / down_write in the kernel).
 *
 * Simplifications (docs/kernel-notes.md): power states (D3hot, pm_runtime_engaged), VFs
 * (pdev->is_virtfn / no_command_memory), the I/O-space bit, vfio_bar_restore after a backdoor
 * reset, and DMABUF exports of a BAR (vfio_pci_dma_buf_move) are not modelled; every `barMmap`
 * device has a working function reset (vdev->reset_works); the user mmaps every BAR as soon as it
 * holds the device fd and unmaps them when it closes the fd.
 */
import { err, errAfter, ok } from '../../kernel/errno.ts';
import { resetMethodBegins, resetMethodEnds } from '../reset.ts';
import { deviceFdHolder, updateDevice, type SystemState } from '../state.ts';
import type { Env, Kernel } from './kernel.ts';

type VfioPciCoreFns = Pick<
  Kernel,
  | '__vfio_pci_memory_enabled'
  | 'vfio_pci_zap_bars'
  | 'vfio_pci_zap_and_down_write_memory_lock'
  | 'vfio_pci_mmap_huge_fault'
  | 'vfio_basic_config_write'
  | 'vfio_pci_core_iowrite'
  | 'vfio_pci_ioctl_reset'
  | 'pci_dev_restore'
>;

/** The call is made through a device fd `ctx` holds (the enumerator offers it only then). */
const notHeld = (env: Env, s: SystemState, ctx: number, dev: number) =>
  deviceFdHolder(s, dev) === ctx ? null : err('EINVAL', `context ${env.scenario.contexts[ctx]?.name ?? ctx} holds no device fd of ${env.scenario.devices[dev]?.name ?? dev}`);

/**
 * vfio_pci_dma_buf_move(vdev, revoked) where the kernel calls it, in scenarios with DMABUF exports
 * (src/machines/semantics/vfioPciDmabuf.ts); elsewhere the device has none to move.
 */
const dmaBufMove = (env: Env, s: SystemState, dev: number, revoked: boolean) =>
  s.devices[dev]?.dma_buf === undefined ? ok(s) : env.k.vfio_pci_dma_buf_move(env, s, { dev, revoked });

/** Another reset method of the PCI core is running on the device (staged resets, src/machines/reset.ts). */
const otherResetRunning = (s: SystemState, dev: number): boolean => (s.devices[dev]?.resetting ?? 0) > 0;

export const vfioPciCore: VfioPciCoreFns = {
  /**
   * __vfio_pci_memory_enabled (vfio_pci_config.c, caller holds memory_lock): `pdev->current_state <
   * PCI_D3hot && (pdev->no_command_memory || (cmd & PCI_COMMAND_MEMORY))`, cmd read from
   * vdev->vconfig, the user's view of the command register. D-states and no_command_memory (VFs)
   * are not modelled: enabled = the user's PCI_COMMAND_MEMORY bit.
   */
  __vfio_pci_memory_enabled(_env, s, { dev }) {
    return s.devices[dev]?.command_memory === true ? ok(s) : err('EIO', 'memory decode is off: PCI_COMMAND_MEMORY is clear in the command register');
  },

  /**
   * vfio_pci_zap_bars (vfio_pci_core.c): `unmap_mapping_range(core_vdev->inode->i_mapping, BAR0
   * offset, up to the ROM offset, true)`: every user PTE of every BAR mmap of the device is dropped;
   * the VMAs stay and fault again on the next access.
   */
  vfio_pci_zap_bars(_env, s, { dev }) {
    return ok(s.devices[dev]?.bar_ptes === true ? updateDevice(s, dev, { bar_ptes: false }) : s);
  },

  /**
   * vfio_pci_zap_and_down_write_memory_lock (vfio_pci_core.c): `down_write(&vdev->memory_lock);
   * vfio_pci_zap_bars(vdev);`. The lock is the atomicity of the calling model step (or, for
   * VFIO_DEVICE_RESET, DeviceState.memory_lock, which vfio_pci_ioctl_reset sets).
   */
  vfio_pci_zap_and_down_write_memory_lock(env, s, { dev }) {
    return env.k.vfio_pci_zap_bars(env, s, { dev });
  },

  /**
   * vfio_pci_mmap_huge_fault (vfio_pci_core.c), the user's first load or store through the mmap:
   * `scoped_guard(rwsem_read, &vdev->memory_lock) ret = vfio_pci_vmf_insert_pfn(...)`, which returns
   * VM_FAULT_SIGBUS `if (vdev->pm_runtime_engaged || !__vfio_pci_memory_enabled(vdev))`, else
   * inserts the PFN: the PTE is populated. SIGBUS is shown as -EFAULT (what get_user_pages makes of
   * it). Not offered while memory_lock is held for write (down_read sleeps).
   */
  vfio_pci_mmap_huge_fault(env, s, { ctx, dev }) {
    const bad = notHeld(env, s, ctx, dev);
    if (bad) return bad;
    const r = env.k.__vfio_pci_memory_enabled(env, s, { dev });
    if (!r.ok) return err('EFAULT', `VM_FAULT_SIGBUS: vfio_pci_vmf_insert_pfn refuses the PTE (${r.reason}): the user's access gets SIGBUS`);
    return ok(updateDevice(r.next, dev, { bar_ptes: true }));
  },

  /**
   * vfio_basic_config_write (vfio_pci_config.c), offset PCI_COMMAND: `if (!new_mem)
   * vfio_pci_zap_and_down_write_memory_lock(vdev); else down_write(&vdev->memory_lock);`, the write
   * reaches the device, the new memory/io bits are saved in vconfig (`*virt_cmd |= new_cmd &
   * mask`), `up_write`. Clearing decode therefore drops the PTEs in the same locked section.
   * (vfio_bar_restore after a backdoor reset: not modelled.)
   */
  vfio_basic_config_write(env, s, { ctx, dev, memory }) {
    const bad = notHeld(env, s, ctx, dev);
    if (bad) return bad;
    let cur = s;
    if (!memory) {
      const z = env.k.vfio_pci_zap_and_down_write_memory_lock(env, cur, { dev });
      if (!z.ok) return z;
      const m = dmaBufMove(env, z.next, dev, true);
      if (!m.ok) return m;
      cur = m.next;
    }
    cur = updateDevice(cur, dev, { command_memory: memory });
    // `if (__vfio_pci_memory_enabled(vdev)) vfio_pci_dma_buf_move(vdev, false);` (only where there are exports to move)
    if (cur.devices[dev]?.dma_buf === undefined || !env.k.__vfio_pci_memory_enabled(env, cur, { dev }).ok) return ok(cur);
    return dmaBufMove(env, cur, dev, false);
  },

  /**
   * vfio_pci_core_iowrite##size (vfio_pci_rdwr.c), write() on a BAR region: `if (test_mem) {
   * down_read(&vdev->memory_lock); if (!__vfio_pci_memory_enabled(vdev)) { up_read(...); return
   * -EIO; } }`, then the iowrite. A successful call is the user's access itself (judged by BAR).
   * Not offered while memory_lock is held for write.
   */
  vfio_pci_core_iowrite(env, s, { ctx, dev }) {
    const bad = notHeld(env, s, ctx, dev);
    if (bad) return bad;
    const r = env.k.__vfio_pci_memory_enabled(env, s, { dev });
    return r.ok ? ok(s) : err('EIO', `vfio_pci_core_iowrite: ${r.reason}`);
  },

  /**
   * vfio_pci_ioctl_reset (vfio_pci_core.c), VFIO_DEVICE_RESET up to the reset itself: `if
   * (!vdev->reset_works) return -EINVAL;` (every barMmap device resets: simplification);
   * vfio_pci_zap_and_down_write_memory_lock; vfio_pci_set_power_state(D0) (not modelled);
   * pci_try_reset_function: `if (!pci_dev_trylock(dev)) return -EAGAIN;` (another reset method
   * holds the device lock), pci_dev_save_and_disable (decode off in the device), then the reset
   * method, which begins with pci_dev_reset_iommu_prepare on a `resettable` device. The device
   * stays in reset, memory_lock held for write, until pci_dev_restore.
   */
  vfio_pci_ioctl_reset(env, s, { ctx, dev }) {
    const bad = notHeld(env, s, ctx, dev);
    if (bad) return bad;
    const z0 = env.k.vfio_pci_zap_and_down_write_memory_lock(env, s, { dev });
    if (!z0.ok) return z0;
    // vfio_pci_set_power_state(D0) (not modelled), vfio_pci_dma_buf_move(vdev, true).
    const z = dmaBufMove(env, z0.next, dev, true);
    if (!z.ok) return z;
    // An error return below runs `up_write(&vdev->memory_lock)`: the zap stays done.
    if (otherResetRunning(z.next, dev)) return errAfter('EAGAIN', 'pci_try_reset_function: pci_dev_trylock fails: another reset method of the device holds its lock', z.next);
    const locked = updateDevice(z.next, dev, { memory_lock: true });
    if (!env.scenario.devices[dev]?.resettable) return ok(locked);
    const b = resetMethodBegins(env, locked, dev);
    return b.ok ? b : errAfter(b.errno, `the reset method's pci_dev_reset_iommu_prepare failed: ${b.reason}`, z.next);
  },

  /**
   * pci_dev_restore (drivers/pci/pci.c), the end of pci_try_reset_function: the reset method
   * returns (pci_dev_reset_iommu_done on a `resettable` device) and the config saved by
   * pci_dev_save_and_disable is restored, the command register included: decode is as the user
   * left it (vconfig is not touched). Back in vfio_pci_ioctl_reset: `up_write(&vdev->memory_lock)`
   * (done by the event, src/machines/barAccess.ts).
   */
  pci_dev_restore(env, s, { dev }) {
    if (!env.scenario.devices[dev]?.resettable) return ok(s);
    return resetMethodEnds(env, s, dev);
  },
};
