import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { canonicalKey } from '../../src/engine/serialize.ts';
import type { IommuEvent } from '../../src/machines/events.ts';
import { initialState } from '../../src/machines/state.ts';
import { currentKernel } from '../../src/machines/semantics/index.ts';
import {
  createSystemMachine,
  machineStateKey,
  stateValueOf,
  systemSnapshotOf,
  xstateEvents,
} from '../../src/machines/system.ts';
import { currentVariant, defineVariant, findVariant } from '../../src/machines/variants/index.ts';
import { findScenario } from '../../src/scenarios/builtin.ts';

const vfioVsDmaApi = findScenario('vfio-vs-dma-api')!;

describe('createSystemMachine', () => {
  it('has one region for the group, one for the VFIO group file, and a device and an iommufd region per slot', () => {
    const machine = createSystemMachine(vfioVsDmaApi);
    expect(Object.keys(machine.root.states)).toEqual(['iommuGroup', 'vfioGroup', 'device0', 'iommufdDevice0', 'device1', 'iommufdDevice1']);
    expect(initialTransition(machine)[0].value).toEqual(stateValueOf(initialState(vfioVsDmaApi)));
  });

  it('applies the kernel call only in the iommuGroup region', () => {
    const machine = createSystemMachine(vfioVsDmaApi);
    const applying = Object.entries(machine.root.states).flatMap(([region, node]) =>
      Object.values(node.states).flatMap((state) =>
        [...state.transitions.values()].flat().filter((t) => t.actions.some((a) => (a as { type?: string }).type === 'applyKernelCall' || a === 'applyKernelCall')).map(() => region),
      ),
    );
    expect(new Set(applying)).toEqual(new Set(['iommuGroup']));
  });

  it('runs the semantic function once per event however many guards ask (memoized per context and event)', () => {
    let calls = 0;
    const counting = defineVariant({
      ...currentVariant,
      name: 'counting',
      overrides: {
        really_probe: (env, s, a) => {
          calls++;
          return currentKernel.really_probe(env, s, a);
        },
      },
    });
    const machine = createSystemMachine(vfioVsDmaApi, counting);
    const snapshot = systemSnapshotOf(machine, initialState(vfioVsDmaApi));
    const [next] = transition(machine, snapshot, { type: 'really_probe', dev: 0, driver: 'e1000e' });
    expect(next.value).toMatchObject({ iommuGroup: 'kernel', device0: 'dma_api_driver' });
    expect(calls).toBe(1);
  });

  it('vfio_group_ioctl_set_container that returns EBADFD leaves the snapshot as it was', () => {
    const machine = createSystemMachine(vfioVsDmaApi);
    const snapshot = systemSnapshotOf(machine, initialState(vfioVsDmaApi));
    const [next] = transition(machine, snapshot, { type: 'vfio_group_ioctl_set_container', ctx: 0, group: 0 });
    expect(next.context).toBe(snapshot.context);
    expect(next.value).toEqual(snapshot.value);
  });

  it('really_probe whose error path leaks owner_cnt (KernelErr.after, w8-probe-error-leak) moves the state', () => {
    const scenario = findScenario('probe-failure')!;
    const machine = createSystemMachine(scenario, findVariant('w8-probe-error-leak')!);
    const snapshot = systemSnapshotOf(machine, initialState(scenario));
    const [next] = transition(machine, snapshot, { type: 'really_probe', dev: 0, driver: 'probe-fails' });
    expect(next.context.groups[0]!.owner_cnt).toBe(1);
    expect(next.value).toMatchObject({ iommuGroup: 'kernel', device0: 'no_driver' });
  });

  it('machineStateKey is canonicalKey of the context, whatever order its keys were built in', () => {
    const machine = createSystemMachine(vfioVsDmaApi);
    const s = initialState(vfioVsDmaApi);
    const reordered = { warn: s.warn, iommufd_groups: s.iommufd_groups, containers: s.containers, vfio_groups: s.vfio_groups, devices: s.devices, groups: s.groups };
    expect(machineStateKey(systemSnapshotOf(machine, reordered))).toBe(machineStateKey(systemSnapshotOf(machine, s)));
    expect(machineStateKey(systemSnapshotOf(machine, s))).toBe(canonicalKey(s));
  });

  it('xstateEvents lists the calls enumerateEvents lists for the snapshot context', () => {
    const machine = createSystemMachine(vfioVsDmaApi);
    const events: IommuEvent[] = xstateEvents(vfioVsDmaApi)(systemSnapshotOf(machine, initialState(vfioVsDmaApi)));
    expect(events.map((e) => e.type)).toEqual(['really_probe', 'really_probe', 'really_probe', 'really_probe', 'vfio_group_fops_open']);
  });
});
