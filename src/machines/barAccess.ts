/**
 * BAR access (issue 16, Deliver 6): the user side of a vfio-pci device's BAR mmaps, for the events
 * and the enumerator. The kernel side (the zap, the fault handler, the command-register write,
 * VFIO_DEVICE_RESET) is in the rule table, src/machines/semantics/vfioPciCore.ts.
 *
 * The user of a `barMmap` device mmaps its BARs as soon as it holds the device fd (legacy
 * VFIO_GROUP_GET_DEVICE_FD, or the cdev bound to its iommufd) and unmaps them when it closes it
 * (simplification: in the kernel the VMA keeps the file, so close() alone does not drop it).
 */
import { ok, type KernelResult } from '../kernel/errno.ts';
import type { IommuEvent } from './events.ts';
import type { Scenario } from './scenario.ts';
import { contextDevices } from './scenario.ts';
import type { Env } from './semantics/kernel.ts';
import { deviceFdHolder, updateDevice, type SystemState } from './state.ts';

/** BAR access (issue 16): the per-device fields of DeviceState. */
export interface BarDeviceFields {
  /**
   * BAR access (issue 16, Deliver 6; src/machines/barAccess.ts). These three fields exist only in
   * scenarios with a `barMmap` device (on every device then). The PCI_COMMAND_MEMORY bit of the
   * user's command register as vfio-pci keeps it (vdev->vconfig, which __vfio_pci_memory_enabled
   * reads): memory decode on. True at the start and whenever no user holds the device.
   */
  readonly command_memory?: boolean;
  /** The user's mmap of the device's BARs has PTEs (faulted in by vfio_pci_mmap_huge_fault, dropped by vfio_pci_zap_bars). */
  readonly bar_ptes?: boolean;
  /**
   * vdev->memory_lock is held for write by a VFIO_DEVICE_RESET in progress (vfio_pci_ioctl_reset
   * holds it across pci_try_reset_function): the device is being reset. The other locked sections
   * (a command-register write, the fault handler's down_read) are single calls of the model.
   */
  readonly memory_lock?: boolean;
  /**
   * The user's DMABUF export of the device's BAR mapped into its IOAS (only in scenarios with a
   * `barDmabuf` device): 'none'; 'mapped' (IOMMU_IOAS_MAP_FILE put the BAR into the IOAS: devices on
   * the context's hwpts reach it through the IOMMU); 'revoked' (vfio_pci_dma_buf_move revoked it and
   * iopt_revoke_notify unmapped it from every domain; iommufd never maps it again).
   */
  readonly dma_buf?: 'none' | 'mapped' | 'revoked';
}


/** The device is in reset: a VFIO_DEVICE_RESET holds memory_lock, or a staged reset method runs on it. */
export const barDeviceInReset = (s: SystemState, dev: number): boolean => s.devices[dev]?.memory_lock === true || (s.devices[dev]?.resetting ?? 0) > 0;

/**
 * The BAR calls context `ctx` makes on `barMmap` device `dev` while it holds the device fd: with a
 * VFIO_DEVICE_RESET of its own in progress, only the reset's end (pci_dev_restore) and loads and
 * stores through PTEs still mapped (every other call waits for memory_lock); otherwise a fault of
 * the mmap (no PTE yet), a PCI_COMMAND write flipping memory decode, write() to the BAR, and
 * VFIO_DEVICE_RESET. A CPU access (user_bar_access) is offered whenever a PTE is there: it does
 * not enter the kernel, so no lock stops it.
 */
export function barEvents(s: SystemState, ctx: number, dev: number): IommuEvent[] {
  const d = s.devices[dev];
  if (!d?.present || deviceFdHolder(s, dev) !== ctx) return [];
  const out: IommuEvent[] = [];
  if (d.bar_ptes) out.push({ type: 'user_bar_access', ctx, dev });
  // VFIO hot reset (issue 16, Deliver 2): the hot reset holds memory_lock; it ends with pci_bus_restore_locked (src/machines/hotReset.ts).
  if ((d.hot_reset ?? null) !== null) return out;
  if (d.memory_lock) {
    // The reset's own method ends after any method nested in it (resetting counts both).
    if ((d.resetting ?? 0) <= 1) out.push({ type: 'pci_dev_restore', ctx, dev });
    return out;
  }
  if (!d.bar_ptes) out.push({ type: 'vfio_pci_mmap_huge_fault', ctx, dev });
  out.push({ type: 'vfio_basic_config_write', ctx, dev, memory: d.command_memory ? 0 : 1 });
  out.push({ type: 'vfio_pci_core_iowrite', ctx, dev });
  out.push({ type: 'vfio_pci_ioctl_reset', ctx, dev });
  if (d.dma_buf !== undefined && d.dma_buf !== 'mapped') out.push({ type: 'vfio_pci_core_feature_dma_buf', ctx, dev });
  return out;
}

/**
 * DMABUF exports (scenarios with a `barDmabuf` device): while `dev`'s BAR is mapped into context
 * `ctx`'s IOAS and some other device of `ctx` is attached to one of its hwpts, that device's DMA
 * to the mapped IOVA reaches the BAR through the IOMMU (p2p_dma_to_bar, hardware). Offered whatever
 * memory_lock says: DMA takes no lock.
 */
export function p2pDmaEvents(s: SystemState, ctx: number, dev: number): IommuEvent[] {
  if (s.devices[dev]?.dma_buf !== 'mapped' || deviceFdHolder(s, dev) !== ctx) return [];
  return p2pInitiator(s, ctx, dev) === null ? [] : [{ type: 'p2p_dma_to_bar', ctx, dev }];
}

/** The first device other than `dev` attached to an hwpt of context `ctx` (it DMAs to the exported BAR), or null. */
export function p2pInitiator(s: SystemState, ctx: number, dev: number): number | null {
  const j = s.devices.findIndex((d, i) => i !== dev && d.present && d.iommufd?.ctx === ctx && d.iommufd.hwpt !== null);
  return j < 0 ? null : j;
}

/** The (ctx, dev) pairs whose BAR calls the enumerator offers: each `barMmap` device a context may take. */
export function barActors(scenario: Scenario): { ctx: number; dev: number }[] {
  return scenario.contexts.flatMap((_, ctx) => contextDevices(scenario, ctx).filter((dev) => scenario.devices[dev]?.barMmap === true).map((dev) => ({ ctx, dev })));
}

/** The end of VFIO_DEVICE_RESET: pci_dev_restore (the rule table), then vfio_pci_ioctl_reset's `up_write(&vdev->memory_lock)`. */
export function vfioResetReturns(env: Env, s: SystemState, dev: number): KernelResult<SystemState> {
  const r = env.k.pci_dev_restore(env, s, { dev });
  if (!r.ok) return r;
  // `if (__vfio_pci_memory_enabled(vdev)) vfio_pci_dma_buf_move(vdev, false);` (scenarios with DMABUF exports)
  let cur = r.next;
  if (cur.devices[dev]?.dma_buf !== undefined && env.k.__vfio_pci_memory_enabled(env, cur, { dev }).ok) {
    const m = env.k.vfio_pci_dma_buf_move(env, cur, { dev, revoked: false });
    if (!m.ok) return m;
    cur = m.next;
  }
  return ok(updateDevice(cur, dev, { memory_lock: false }));
}

/**
 * After any call of a scenario with BAR access: a device whose fd was closed (vfio_device_fops_release,
 * vfio_df_unbind_iommufd) has no BAR mapping left, and vfio_pci_core_disable reset it and restored
 * its saved config: its BAR fields are back to their initial values. Its DMABUF exports were revoked
 * first (vfio_pci_core_close_device -> vfio_pci_dma_buf_cleanup -> vfio_pci_dma_buf_move(vdev, true)).
 * Only the slots the call changed are looked at.
 */
export function droppingClosedBarMaps(env: Env, prev: SystemState, r: KernelResult<SystemState>): KernelResult<SystemState> {
  const next = r.ok ? r.next : r.after;
  if (!next) return r;
  let cur = next;
  for (let i = 0; i < next.devices.length; i++) {
    const d = next.devices[i]!;
    if (d === prev.devices[i] || deviceFdHolder(next, i) !== null) continue;
    if (d.dma_buf === 'mapped') {
      const m = env.k.vfio_pci_dma_buf_move(env, cur, { dev: i, revoked: true });
      if (m.ok) cur = m.next;
    }
    if (d.bar_ptes || d.command_memory === false || d.memory_lock) cur = updateDevice(cur, i, { bar_ptes: false, command_memory: true, memory_lock: false });
  }
  if (cur === next) return r;
  return r.ok ? ok(cur) : { ...r, after: cur };
}
