import { describe, expect, it } from 'vitest';
import { createMachine, fromPromise, raise, setup } from 'xstate';
import { assertModelCheckable } from '../../src/machines/assertModelCheckable.ts';
import { createDeviceMachine } from '../../src/machines/device.ts';
import { createIommufdDeviceMachine } from '../../src/machines/iommufdDevice.ts';
import { createIommuGroupMachine } from '../../src/machines/iommuGroup.ts';
import { createSystemMachine } from '../../src/machines/system.ts';
import { createVfioGroupMachine } from '../../src/machines/vfioGroup.ts';
import { BUILTIN_SCENARIOS, findScenario } from '../../src/scenarios/builtin.ts';

describe('assertModelCheckable', () => {
  it('accepts every system machine and every standalone kernel-object machine', () => {
    const s = findScenario('vfio-vs-dma-api')!;
    for (const scenario of BUILTIN_SCENARIOS) expect(() => assertModelCheckable(createSystemMachine(scenario))).not.toThrow();
    for (const m of [createIommuGroupMachine(s), createVfioGroupMachine(s), createDeviceMachine(s, 1), createIommufdDeviceMachine(s, 1)]) {
      expect(() => assertModelCheckable(m)).not.toThrow();
    }
  });

  it('refuses a machine that invokes an actor', () => {
    const m = createMachine({ initial: 'a', states: { a: { invoke: { src: fromPromise(async () => 1) } } } });
    expect(() => assertModelCheckable(m)).toThrow('Invocations on test machines are not supported');
  });

  it('refuses a machine with an after transition', () => {
    const m = createMachine({ initial: 'a', states: { a: { after: { 10: 'b' } }, b: {} } });
    expect(() => assertModelCheckable(m)).toThrow('After events on test machines are not supported');
  });

  it('refuses an inline delayed raise in a nested state', () => {
    const m = createMachine({
      initial: 'p',
      states: { p: { initial: 'a', states: { a: { on: { GO: { actions: raise({ type: 'X' }, { delay: 5 }) } } } } } },
    });
    expect(() => assertModelCheckable(m)).toThrow('Delayed actions on test machines are not supported');
  });

  it('refuses a delayed action referenced by name from setup (which validateMachine misses)', () => {
    const m = setup({ actions: { later: raise({ type: 'X' }, { delay: 5 }) } }).createMachine({
      initial: 'a',
      states: { a: { entry: 'later' } },
    });
    expect(() => assertModelCheckable(m)).toThrow('Delayed actions on test machines are not supported');
  });

  it('accepts a raise without delay', () => {
    const m = createMachine({ initial: 'a', states: { a: { entry: raise({ type: 'X' }) } } });
    expect(() => assertModelCheckable(m)).not.toThrow();
  });
});
