/**
 * VFIO hot reset (issue 16, Deliver 2): the VFIO_DEVICE_PCI_HOT_RESET part of
 * drivers/vfio/pci/vfio_pci_core.c (vfio_pci_ioctl_pci_hot_reset, vfio_pci_ioctl_pci_hot_reset_groups,
 * vfio_pci_dev_set_hot_reset, vfio_pci_dev_set_resettable; read at legoater/linux 0dace9cdb9f5),
 * the ownership tests vfio_dev_in_groups / vfio_file_has_dev (drivers/vfio/group.c, torvalds/linux
 * 6867849aac96) and vfio_iommufd_get_dev_id (drivers/vfio/iommufd.c), and the per-device hooks of
 * pci_reset_bus -> __pci_reset_bus (drivers/pci/pci.c, legoater/linux 5394e31a3b4f):
 * pci_bus_save_and_disable_locked / pci_bus_restore_locked, which call pci_dev_save_and_disable /
 * pci_dev_restore per device and, unlike the per-function reset methods since f5b16b802174 ("PCI:
 * Suspend iommu function prior to resetting a device"), do NOT call pci_dev_reset_iommu_prepare /
 * _done: a hot reset parks no RID on the blocking domain (docs/kernel-notes.md, "Hot reset").
 *
 * The ioctl is two model steps, like VFIO_DEVICE_RESET: vfio_pci_ioctl_pci_hot_reset (the checks,
 * every member's memory_lock taken and BARs zapped, pci_bus_save_and_disable_locked: the members
 * are in reset) and pci_bus_restore_locked (src/machines/hotReset.ts, hotResetReturns).
 *
 * Simplifications: argsz/flags are valid and the count==0 rule holds (a context holding the
 * device through its group passes the fds of every group file it holds open, a cdev user passes
 * none); runtime PM and D-states are not modelled; pci_reset_bus itself does not fail once its
 * trylock succeeded.
 */
import { err, errAfter, ok } from '../../kernel/errno.ts';
import { busSlots, devSetMembers, inDevSet, unmodelledOnBus } from '../hotReset.ts';
import { deviceFdHolder, groupOf, updateDevice, type SystemState } from '../state.ts';
import type { Env, Kernel } from './kernel.ts';

type VfioPciHotResetFns = Pick<
  Kernel,
  'vfio_pci_ioctl_pci_hot_reset' | 'vfio_dev_in_groups' | 'vfio_iommufd_get_dev_id' | 'pci_bus_save_and_disable_locked' | 'pci_bus_restore_locked'
>;

const name = (env: Env, dev: number) => env.scenario.devices[dev]?.name ?? String(dev);

/** The group files context `ctx` holds open (the fds it passes to the legacy ioctl). */
const groupFilesOf = (s: SystemState, ctx: number): number[] => s.vfio_groups.flatMap((v, g) => (v.opened_by === ctx && !v.fd_closed ? [g] : []));

/** vfio_pci_dev_set_resettable: every present function the bus reset affects is in the dev_set; the reason when not. */
function notResettable(env: Env, s: SystemState, dev: number): string | null {
  const outside = unmodelledOnBus(env.scenario, dev);
  if (outside.length > 0) return `${outside[0]} is on the bus but not in the dev_set (a host driver or pcieport holds it)`;
  const members = new Set(devSetMembers(env.scenario, s, dev));
  const j = busSlots(env.scenario, dev).find((x) => s.devices[x]?.present === true && !members.has(x));
  if (j === undefined) return null;
  return inDevSet(s, j) ? `${name(env, j)} is on the bus but in another dev_set (a VF is alone in its own)` : `${name(env, j)} is on the bus but not bound to vfio-pci, so not in the dev_set`;
}

/** vfio_pci_zap_bars of a member; an error later in the loop does not undo it. */
function zapped(env: Env, s: SystemState, dev: number): SystemState {
  const z = env.k.vfio_pci_zap_bars(env, s, { dev });
  return z.ok ? z.next : s;
}

/** The undo step's un-revoke of member `m` (an open device with memory decode on and DMABUF exports). */
function unrevoked(env: Env, s: SystemState, m: number): SystemState {
  const d = s.devices[m];
  if (d?.dma_buf === undefined || deviceFdHolder(s, m) === null || !env.k.__vfio_pci_memory_enabled(env, s, { dev: m }).ok) return s;
  const b = env.k.vfio_pci_dma_buf_move(env, s, { dev: m, revoked: false });
  return b.ok ? b.next : s;
}

export const vfioPciHotReset: VfioPciHotResetFns = {
  /**
   * vfio_pci_ioctl_pci_hot_reset (vfio_pci_core.c) up to pci_reset_bus's device reset: `if
   * (pci_probe_reset_slot(...) && pci_probe_reset_bus(...)) return -ENODEV;` (no `hotReset`);
   * legacy (count > 0) vfio_pci_ioctl_pci_hot_reset_groups: `if (array_count > count) return
   * -EINVAL;` (more group fds than affected functions); vfio_pci_dev_set_hot_reset under
   * dev_set->lock: vfio_pci_dev_set_resettable (-EINVAL: an affected function outside the
   * dev_set), then per member in list order: owned? (vfio_dev_in_groups / vfio_iommufd_get_dev_id:
   * -EINVAL), `down_write_trylock(&vdev->memory_lock)` (-EBUSY: a VFIO_DEVICE_RESET or another hot
   * reset holds it), vfio_pci_dma_buf_move(vdev, true), vfio_pci_zap_bars. An error unwinds the
   * locks; the zaps stay done. Then pci_reset_bus: pci_bus_trylock (-EAGAIN: another reset method
   * holds a member's device lock), pci_bus_save_and_disable_locked per member. The members stay
   * in reset, memory_lock held, until pci_bus_restore_locked.
   */
  vfio_pci_ioctl_pci_hot_reset(env, s, { ctx, dev }) {
    const legacy = s.devices[dev]?.group_fd === ctx;
    if (!legacy && s.devices[dev]?.iommufd?.ctx !== ctx) return err('EINVAL', `context ${env.scenario.contexts[ctx]?.name ?? ctx} holds no device fd of ${name(env, dev)}`);
    if (env.scenario.devices[dev]?.hotReset !== true) return err('ENODEV', 'pci_probe_reset_slot / pci_probe_reset_bus fail: no slot or bus reset for the device');
    const affected = busSlots(env.scenario, dev).filter((j) => s.devices[j]?.present).length + unmodelledOnBus(env.scenario, dev).length;
    if (legacy && groupFilesOf(s, ctx).length > affected) return err('EINVAL', `vfio_pci_ioctl_pci_hot_reset_groups: array_count (${groupFilesOf(s, ctx).length} group fds) > count (${affected} affected functions)`);
    const bad = notResettable(env, s, dev);
    if (bad) return err('EINVAL', `vfio_pci_dev_set_resettable: ${bad}`);
    let cur = s;
    const taken: number[] = [];
    // err_undo: in reverse order, `if (vdev->vdev.open_count && __vfio_pci_memory_enabled(vdev)) vfio_pci_dma_buf_move(vdev, false);` and up_write; the zaps stay.
    const fail = (errno: 'EINVAL' | 'EBUSY' | 'EAGAIN', reason: string) => {
      for (const m of [...taken].reverse()) cur = unrevoked(env, cur, m);
      return cur === s ? err(errno, reason) : errAfter(errno, reason, cur);
    };
    const members = devSetMembers(env.scenario, s, dev);
    for (const m of members) {
      const owned = legacy ? env.k.vfio_dev_in_groups(env, cur, { ctx, dev: m }) : env.k.vfio_iommufd_get_dev_id(env, cur, { ctx, dev: m });
      if (!owned.ok) return fail('EINVAL', `vfio_pci_dev_set_hot_reset: ${name(env, m)} is not owned: ${owned.reason}`);
      cur = owned.next;
      const d = cur.devices[m]!;
      if (d.memory_lock === true || (d.hot_reset ?? null) !== null) return fail('EBUSY', `down_write_trylock(&vdev->memory_lock) of ${name(env, m)} fails: ${d.memory_lock ? 'VFIO_DEVICE_RESET' : 'another hot reset'} holds it`);
      // vfio_pci_dma_buf_move(vdev, true) (scenarios with DMABUF exports), vfio_pci_zap_bars(vdev).
      if (d.dma_buf !== undefined) {
        const b = env.k.vfio_pci_dma_buf_move(env, cur, { dev: m, revoked: true });
        if (b.ok) cur = b.next;
      }
      cur = zapped(env, cur, m);
      taken.push(m);
    }
    const busy = busSlots(env.scenario, dev).find((j) => (cur.devices[j]?.resetting ?? 0) > 0);
    if (busy !== undefined) return fail('EAGAIN', `pci_reset_bus: pci_bus_trylock fails: a reset method of ${name(env, busy)} holds its device lock`);
    for (const m of members) {
      const r = env.k.pci_bus_save_and_disable_locked(env, cur, { dev: m });
      if (!r.ok) return fail('EAGAIN', `pci_bus_save_and_disable_locked: ${r.reason}`);
      cur = updateDevice(r.next, m, { hot_reset: ctx });
    }
    return ok(cur);
  },

  /**
   * vfio_dev_in_groups (vfio_pci_core.c) with vfio_file_has_dev (group.c): `return group ==
   * device->group;` for any file passed. The legacy caller passes the group files it holds open.
   */
  vfio_dev_in_groups(env, s, { ctx, dev }) {
    const g = groupOf(env.scenario, dev);
    return groupFilesOf(s, ctx).includes(g) ? ok(s) : err('EINVAL', `no group fd passed is ${name(env, dev)}'s VFIO group (vfio_file_has_dev)`);
  },

  /**
   * vfio_iommufd_get_dev_id (drivers/vfio/iommufd.c): `if (vfio_iommufd_device_ictx(vdev) ==
   * ictx) return vfio_iommufd_device_id(vdev);` (owned, devid > 0); else `if
   * (iommufd_ctx_has_group(ictx, group)) devid = -ENOENT;` (owned: a device of its IOMMU group is
   * bound to ictx); else -ENODEV (not owned).
   */
  vfio_iommufd_get_dev_id(env, s, { ctx, dev }) {
    if (s.devices[dev]?.iommufd?.ctx === ctx) return ok(s);
    const g = groupOf(env.scenario, dev);
    if (s.devices.some((d, j) => groupOf(env.scenario, j) === g && d.iommufd?.ctx === ctx)) return ok(s);
    return err('ENODEV', `${name(env, dev)} is not bound to the context's iommufd and no device of its IOMMU group is (iommufd_ctx_has_group)`);
  },

  /**
   * pci_bus_save_and_disable_locked (drivers/pci/pci.c), per device: pci_dev_save_and_disable
   * (reset_prepare handler, save state, Command register cleared: bus mastering off). No
   * pci_dev_reset_iommu_prepare: the device's RID stays on its domain. Then the secondary bus
   * reset holds the device in reset (DeviceState.resetting).
   */
  pci_bus_save_and_disable_locked(_env, s, { dev }) {
    return ok(updateDevice(s, dev, { resetting: (s.devices[dev]?.resetting ?? 0) + 1 }));
  },

  /**
   * pci_bus_restore_locked (drivers/pci/pci.c), per device: the reset is over; pci_dev_restore
   * (saved config back, reset_done handler). No pci_dev_reset_iommu_done.
   */
  pci_bus_restore_locked(_env, s, { dev }) {
    return ok(updateDevice(s, dev, { resetting: Math.max(0, (s.devices[dev]?.resetting ?? 0) - 1) }));
  },
};

