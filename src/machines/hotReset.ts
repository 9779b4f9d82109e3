/**
 * VFIO hot reset (issue 16, Deliver 2): VFIO_DEVICE_PCI_HOT_RESET resets every function of the
 * caller's bus (pci_reset_bus -> __pci_reset_bus -> pci_bridge_secondary_bus_reset). This file
 * holds the static facts (the dev_set, the functions the reset affects), the enumerator's events
 * and the ioctl's second step; the kernel functions are in the rule table
 * (src/machines/semantics/vfioPciHotReset.ts). Sources: /tmp/h/hotreset-facts.md, summarised in
 * docs/kernel-notes.md, "Hot reset".
 *
 * Simplifications: the dev_set is the scenario's devices on one bus (a VF, or a device whose bus
 * is unknown, is alone: vfio_pci_core_register_device gives a VF its own set); slot resets
 * (pdev->slot) are not told apart from bus resets; the functions affected are those on the bus
 * itself (a bridge on it stands for everything below it: pcieport is bound to it, so it is never
 * in the dev_set); a root-bus device never has `hotReset` (pci_probe_reset_bus: no bus->self).
 */
import { ok, type KernelResult } from '../kernel/errno.ts';
import { DRIVERS, isDriverName } from '../kernel/drivers.ts';
import { findDevice, parseBdf } from '../hardware/index.ts';
import type { IommuEvent } from './events.ts';
import { contextDevices, type Scenario } from './scenario.ts';
import type { Env } from './semantics/kernel.ts';
import { deviceFdHolder, updateDevice, type SystemState } from './state.ts';

/** VFIO hot reset (issue 16): the per-device field of DeviceState. */
export interface HotResetDeviceFields {
  /**
   * VFIO hot reset (issue 16, Deliver 2; src/machines/hotReset.ts): the context whose
   * VFIO_DEVICE_PCI_HOT_RESET holds this dev_set member's memory_lock for write while
   * pci_reset_bus resets its bus, or null. Present only in scenarios with a `hotReset` device.
   */
  readonly hot_reset?: number | null;
}

/** The PCI bus number of device slot `i`: its topology function's bus, else that of a bdf-like name; null when unknown. */
export function busOf(scenario: Scenario, i: number): number | null {
  const hw = scenario.hardware;
  const ref = hw?.deviceMap[i] ?? scenario.devices[i]?.name ?? '';
  const bdf = hw ? (findDevice(hw.topology, ref)?.bdf ?? ref) : ref;
  return parseBdf(bdf)?.bus ?? null;
}

/**
 * The device slots that share `dev`'s dev_set (vfio_assign_device_set by pdev->bus in
 * vfio_pci_core_register_device), `dev` included, in slot order (the list order of the model):
 * the scenario's non-VF devices on its bus. A VF or a device of unknown bus is alone.
 */
export function devSetSlots(scenario: Scenario, dev: number): number[] {
  const bus = busOf(scenario, dev);
  if (bus === null || scenario.devices[dev]?.pf !== undefined) return [dev];
  return scenario.devices.flatMap((d, j) => (d.pf === undefined && busOf(scenario, j) === bus ? [j] : []));
}

/** The scenario's device slots on `dev`'s bus (VFs included): the bus reset resets them when present. */
export function busSlots(scenario: Scenario, dev: number): number[] {
  const bus = busOf(scenario, dev);
  if (bus === null) return [dev];
  return scenario.devices.flatMap((_, j) => (busOf(scenario, j) === bus ? [j] : []));
}

/** The topology's functions on `dev`'s bus that are no device of the scenario (a host driver or pcieport holds them), by name. */
export function unmodelledOnBus(scenario: Scenario, dev: number): string[] {
  const hw = scenario.hardware;
  const bus = busOf(scenario, dev);
  if (!hw || bus === null) return [];
  const mine = new Set(hw.deviceMap.map((ref) => findDevice(hw.topology, ref)?.bdf));
  return hw.topology.devices.filter((f) => parseBdf(f.bdf)?.bus === bus && !mine.has(f.bdf)).map((f) => f.name);
}

/** Device slot `j` is bound to a vfio-pci-core driver, i.e. registered in its dev_set. */
export const inDevSet = (s: SystemState, j: number): boolean => {
  const d = s.devices[j];
  return d?.present === true && d.driver !== null && isDriverName(d.driver) && DRIVERS[d.driver].vfio;
};

/** The members of `dev`'s dev_set in `s`: the slots of devSetSlots bound to vfio-pci. */
export const devSetMembers = (scenario: Scenario, s: SystemState, dev: number): number[] => devSetSlots(scenario, dev).filter((j) => inDevSet(s, j));

/** The (ctx, dev) pairs whose VFIO_DEVICE_PCI_HOT_RESET the enumerator offers: each `hotReset` device a context may take. */
export function hotResetActors(scenario: Scenario): { ctx: number; dev: number }[] {
  return scenario.contexts.flatMap((_, ctx) => contextDevices(scenario, ctx).filter((dev) => scenario.devices[dev]?.hotReset === true).map((dev) => ({ ctx, dev })));
}

/** VFIO_DEVICE_PCI_HOT_RESET of context `ctx` through `dev`'s fd, offered while it holds the fd (errors included: -EBUSY, -EINVAL). */
export function hotResetEvents(s: SystemState, ctx: number, dev: number): IommuEvent[] {
  return s.devices[dev]?.present && deviceFdHolder(s, dev) === ctx ? [{ type: 'vfio_pci_ioctl_pci_hot_reset', ctx, dev }] : [];
}

/**
 * The end of context `ctx`'s hot reset: one pci_bus_restore_locked per dev_set whose members its
 * ioctl holds, named by the set's first such member. Reads every device slot (slot: null).
 */
export function hotResetEndEvents(scenario: Scenario, s: SystemState, ctx: number): IommuEvent[] {
  const out: IommuEvent[] = [];
  s.devices.forEach((d, j) => {
    if (d.hot_reset !== ctx) return;
    const first = devSetSlots(scenario, j).find((m) => s.devices[m]?.hot_reset === ctx);
    if (first === j) out.push({ type: 'pci_bus_restore_locked', ctx, dev: j });
  });
  return out;
}

/**
 * The second step of vfio_pci_dev_set_hot_reset: pci_reset_bus returns (pci_bus_restore_locked per
 * member, the rule table), then the err_undo loop in reverse list order: `if
 * (vdev->vdev.open_count && __vfio_pci_memory_enabled(vdev)) vfio_pci_dma_buf_move(vdev, false);
 * up_write(&vdev->memory_lock);`.
 */
export function hotResetReturns(env: Env, s: SystemState, ctx: number, dev: number): KernelResult<SystemState> {
  const members = devSetSlots(env.scenario, dev).filter((m) => s.devices[m]?.hot_reset === ctx);
  let cur = s;
  for (const m of members) {
    const r = env.k.pci_bus_restore_locked(env, cur, { dev: m });
    if (!r.ok) return r;
    cur = r.next;
  }
  for (const m of [...members].reverse()) {
    const open = deviceFdHolder(cur, m) !== null;
    if (open && cur.devices[m]?.dma_buf !== undefined && env.k.__vfio_pci_memory_enabled(env, cur, { dev: m }).ok) {
      const b = env.k.vfio_pci_dma_buf_move(env, cur, { dev: m, revoked: false });
      if (!b.ok) return b;
      cur = b.next;
    }
    cur = updateDevice(cur, m, { hot_reset: null });
  }
  return ok(cur);
}
