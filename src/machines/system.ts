/**
 * The whole model as one XState v5 machine: a parallel statechart whose regions are the
 * iommu_group, the legacy VFIO group file, and for each device slot its driver binding and its
 * iommufd binding. The context is the whole SystemState (plain JSON); each region's state value
 * is a function of it (`modeOf`), so a snapshot is keyed by its context alone.
 *
 * Where the semantic result is applied: only the iommu_group region's transitions carry the
 * `applyKernelCall` action, and that region always has exactly one enabled transition when the
 * call has a successor (a lifecycle edge, the fallback to another mode, or the targetless
 * "mode unchanged" one). XState selects every region's transition against the old context
 * before any action runs, so the call is applied exactly once per event. A failed call (no
 * successor) enables no transition and leaves the snapshot as it was; a call whose error path
 * changed the state (KernelErr.after) moves it like a successful one.
 *
 * The rules live in the semantic functions: guards only compare modes of the semantic successor,
 * memoized per (context object, event key) so that the many guards of one event share one call.
 */
import { assign, setup, type EventFromLogic, type SnapshotFrom } from 'xstate';
import { canonicalKey } from '../engine/serialize.ts';
import { deviceGuards, deviceRegion, modeOf as deviceModeOf } from './device.ts';
import { enumerateEvents } from './enumerate.ts';
import { applyEvent, eventKey, successor, type IommuEvent } from './events.ts';
import { iommufdDeviceGuards, iommufdDeviceRegion, modeOf as iommufdDeviceModeOf } from './iommufdDevice.ts';
import { iommuGroupGuards, iommuGroupRegion, modeOf as iommuGroupModeOf } from './iommuGroup.ts';
import type { Scenario } from './scenario.ts';
import type { Env } from './semantics/kernel.ts';
import type { SystemState } from './state.ts';
import { initialModelState } from './model.ts';
import { currentVariant, kernelOf, type Variant } from './variants/index.ts';
import { modeOf as vfioGroupModeOf, vfioGroupGuards, vfioGroupRegion } from './vfioGroup.ts';

export type { KernelCall } from './lifecycleRegion.ts';
import type { KernelCall } from './lifecycleRegion.ts';

/**
 * Region names of the system machine: `iommuGroup`, `vfioGroup` (with several IOMMU groups
 * `iommuGroupG`, `vfioGroupG` per group), then `deviceN` and `iommufdDeviceN` per slot.
 */
export type RegionName = 'iommuGroup' | 'vfioGroup' | `iommuGroup${number}` | `vfioGroup${number}` | `device${number}` | `iommufdDevice${number}`;

/** The region name of group `g`'s `base` region: unnumbered when the state has one group. */
const groupRegion = (base: 'iommuGroup' | 'vfioGroup', g: number, groups: number): RegionName => (groups === 1 ? base : `${base}${g}`);

/** The system machine's state value: one mode per region. */
export type SystemStateValue = Record<RegionName, string>;

/** successor(applyEvent(...)) memoized per (context object, event key); one table per machine. */
export function createKernelCall(env: Env): KernelCall {
  const memo = new WeakMap<SystemState, Map<string, SystemState | null>>();
  return (s, e) => {
    let byEvent = memo.get(s);
    if (!byEvent) memo.set(s, (byEvent = new Map()));
    const key = eventKey(e);
    const hit = byEvent.get(key);
    if (hit !== undefined) return hit;
    const next = successor(applyEvent(env, s, e));
    byEvent.set(key, next);
    return next;
  };
}

/** The state value every region must have for model state `s`: `modeOf` of each region. */
export function stateValueOf(s: SystemState): SystemStateValue {
  const value: Record<string, string> = {};
  s.groups.forEach((_, g) => {
    value[groupRegion('iommuGroup', g, s.groups.length)] = iommuGroupModeOf(s, g);
    value[groupRegion('vfioGroup', g, s.groups.length)] = vfioGroupModeOf(s, g);
  });
  s.devices.forEach((_, dev) => {
    value[`device${dev}`] = deviceModeOf(s, dev);
    value[`iommufdDevice${dev}`] = iommufdDeviceModeOf(s, dev);
  });
  return value as SystemStateValue;
}

/** The parallel machine of `scenario` under `variant`'s rules (the current kernel by default). */
export function createSystemMachine(scenario: Scenario, variant: Variant = currentVariant) {
  const env: Env = { k: kernelOf(variant), scenario };
  const call = createKernelCall(env);
  const init = initialModelState(env);
  // Group 0's iommu_group region is the one that applies the call (it always has exactly one enabled transition).
  const groupRegions = init.groups.flatMap((_, group) => [
    [groupRegion('iommuGroup', group, init.groups.length), iommuGroupRegion({ initial: iommuGroupModeOf(init, group), apply: group === 0, group })] as const,
    [groupRegion('vfioGroup', group, init.groups.length), vfioGroupRegion({ initial: vfioGroupModeOf(init, group), apply: false, group })] as const,
  ]);
  const deviceRegions = scenario.devices.flatMap((_, dev) => [
    [`device${dev}`, deviceRegion(dev, { initial: deviceModeOf(init, dev), apply: false })] as const,
    [`iommufdDevice${dev}`, iommufdDeviceRegion(dev, { initial: iommufdDeviceModeOf(init, dev), apply: false })] as const,
  ]);
  return setup({
    types: { context: {} as SystemState, events: {} as IommuEvent },
    guards: { ...iommuGroupGuards(call), ...vfioGroupGuards(call), ...deviceGuards(call), ...iommufdDeviceGuards(call) },
    actions: {
      /** The one place the semantic successor becomes the context. */
      applyKernelCall: assign(({ context, event }) => call(context, event) ?? context),
    },
  }).createMachine({
    id: 'system',
    type: 'parallel',
    context: init,
    states: {
      ...Object.fromEntries(groupRegions),
      ...Object.fromEntries(deviceRegions),
    },
  });
}

/** The system machine type. */
export type SystemMachine = ReturnType<typeof createSystemMachine>;

/** A snapshot of the system machine. */
export type SystemSnapshot = SnapshotFrom<SystemMachine>;

/** The snapshot of `machine` whose context is `s` and whose regions are `stateValueOf(s)`. */
export function systemSnapshotOf(machine: SystemMachine, s: SystemState): SystemSnapshot {
  return machine.resolveState({ value: stateValueOf(s), context: s });
}

/** A snapshot's key for graph traversal: canonicalKey of the context (the state value is a function of it). */
export const machineStateKey = (snapshot: { context: SystemState }): string => canonicalKey(snapshot.context);

/** An event's key for graph traversal: eventKey for a kernel call, the bare type for XState's own events. */
export const machineEventKey = (e: EventFromLogic<SystemMachine>): string => (e.type === 'xstate.route' ? e.type : eventKey(e));

/** The event source for xstate/graph: every call an actor can make in the snapshot's model state. */
export const xstateEvents =
  (scenario: Scenario) =>
  (snapshot: { context: SystemState }): IommuEvent[] =>
    enumerateEvents(scenario, snapshot.context);
