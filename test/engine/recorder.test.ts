/**
 * Read recording: the view records the global part and each device field at its first read,
 * only what the function looked at; a slot passed through unchanged is no write, a replaced
 * slot is written with the id of its new value. And the cached model as a whole: for random
 * reachable states of the scaling model and every enabled call, the cached call (outcome,
 * successor code) equals model.apply on the decoded state (fixed seed; FC_SEED overrides it).
 */
import { describe, expect, it } from 'vitest';
import { expectLeafIsApply, walkReachable } from '../helpers/memoModel.ts';
import { StateCodec } from '../../src/engine/packed/codec.ts';

import { ReadRecorder } from '../../src/engine/packed/recorder.ts';
import { buildModel } from '../../src/machines/model.ts';
import { patchDevice, updateDevice, type SystemState } from '../../src/machines/state.ts';
import { currentVariant } from '../../src/machines/variants/index.ts';
import { scalingScenario } from '../../bench/scaling.ts';

const SEED = Number(process.env.FC_SEED ?? 20261121);
const model = buildModel(scalingScenario(3, 2), currentVariant);

function setup() {
  const codec = new StateCodec(model.init);
  const code = new Int32Array(codec.extLength);
  codec.encode(model.init, code);
  codec.extend(code);
  return { codec, code, rec: new ReadRecorder(codec) };
}

describe('ReadRecorder', () => {
  it('records only the components read, each once, in read order', () => {
    const { codec, code, rec } = setup();
    const view = rec.begin(code);
    void view.state.devices[2]!.driver;
    void view.state.groups[0]!.owner;
    void view.state.devices[2]!.driver;
    void view.state.devices[0];
    const path = rec.end();
    const driver = codec.fields.indexOf('driver');
    expect(path).toEqual([codec.fieldComponent(2, driver), codec.valueAt(codec.fieldComponent(2, driver), code), 0, code[0]]);
  });

  it('a spread of a slot records all its fields; updateDevice (which copies the state) writes that slot only', () => {
    const { codec, code, rec } = setup();
    const view = rec.begin(code);
    const next = updateDevice(view.state, 1, (d) => ({ ...d, driver: 'e1000e' }));
    const path = rec.end();
    const read = [0, ...codec.fields.map((_, f) => codec.fieldComponent(1, f))];
    const byNumber = (a: number, b: number) => a - b;
    expect(path.filter((_, i) => i % 2 === 0).sort(byNumber)).toEqual(read.sort(byNumber));
    const writes = rec.writesOf(view, next);
    expect(writes).toEqual([2, codec.deviceId({ ...model.init.devices[1]!, driver: 'e1000e' })]);
  });

  it('with a field limit of 0 a field read is recorded as a read of its whole slot, once', () => {
    const { code, rec } = setup();
    const view = rec.begin(code, 0);
    void view.state.devices[1]!.driver;
    void view.state.devices[1]!.hw;
    expect(rec.end()).toEqual([2, code[2]]);
  });

  it('patchDevice on a slot view reads none of the copied fields and is written as a patch of that slot', () => {
    const { codec, code, rec } = setup();
    const view = rec.begin(code);
    const next = { ...view.state, devices: view.state.devices.map((d, i) => (i === 1 ? patchDevice(d, { hw: 'blocking' }) : d)) };
    // Only the global part, which the state spread copied: no field of any slot.
    expect(rec.end()).toEqual([0, code[0]]);
    const writes = rec.writesOf(view, next);
    expect(writes).toHaveLength(2);
    expect(writes[0]).toBe(2);
    expect(writes[1]).toBeLessThan(0);
    expect(codec.written(code, 2, writes[1]!)).toBe(codec.deviceId({ ...model.init.devices[1]!, hw: 'blocking' }));
  });

  it('a patch view looks like the plain patched tuple: same keys in the same order, same values, patchable again, read-only', () => {
    const { code, rec } = setup();
    const view = rec.begin(code);
    const plain = { ...model.init.devices[1]!, hw: 'blocking', driver: 'vfio-pci' } as const;
    const once = patchDevice(view.state.devices[1]!, { hw: 'blocking' });
    const twice = patchDevice(once, { driver: 'vfio-pci' });
    rec.end();
    expect(Object.keys(twice)).toEqual(Object.keys(plain));
    expect({ ...twice }).toEqual(plain);
    expect(Object.getOwnPropertySymbols({ ...twice })).toEqual([]);
    expect(() => ((twice as { hw: unknown }).hw = null)).toThrow(TypeError);
    expect('driver' in twice && !('colour' in twice)).toBe(true);
  });

  it('a patch of a field device tuples do not have is refused', () => {
    const { code, rec } = setup();
    const view = rec.begin(code);
    expect(() => patchDevice(view.state.devices[0]!, { colour: 'red' } as never)).toThrow(/sets colour, which device tuples do not have/);
    rec.end();
  });

  it('the view itself as the result is no write', () => {
    const { code, rec } = setup();
    const view = rec.begin(code);
    rec.end();
    expect(rec.writesOf(view, view.state)).toEqual([]);
  });
});

describe(`MemoModel equals model.apply on reachable states (seed ${SEED})`, () => {
  it('same outcome, same successor code, same step invariants', () => {
    walkReachable(model, SEED, (s, m) => {
      const us = m.memo.blocks.flatMap((_, b) => [...m.memo.block(b, m.code).us]);
      expect(us.map((u) => m.memo.events[u])).toEqual(model.events(s));
      for (const u of us) expectLeafIsApply(model, m, s, u, m.memo.call(u, m.code));
    });
  });
});
