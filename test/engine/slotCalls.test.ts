/**
 * The per-slot expansion entries and the flat maps under them: an entry gives, for a block, the
 * same calls and results the MemoModel gives; a block whose calls read another device slot is
 * left generic (expanded per state); Grid and TripleIndex keep every pair they were given, dense
 * or not.
 */
import { describe, expect, it } from 'vitest';
import { StateCodec } from '../../src/engine/packed/codec.ts';
import { Grid } from '../../src/engine/packed/grid.ts';
import { MemoModel } from '../../src/engine/packed/memoModel.ts';
import { GENERIC, OP_HEAD, SlotCalls } from '../../src/engine/packed/slotCalls.ts';
import { TripleIndex } from '../../src/engine/packed/tripleIndex.ts';
import type { Model } from '../../src/machines/model.ts';
import type { SystemState } from '../../src/machines/state.ts';
import { expectOk, model } from '../helpers/model.ts';

function entryOf(m: Model, s: SystemState, group: number) {
  const codec = new StateCodec(m.init);
  const memo = new MemoModel(m, codec, [], []);
  const slots = new SlotCalls(memo.blocks, codec);
  const code = new Int32Array(codec.extLength);
  codec.encode(s, code);
  codec.extend(code);
  const at = slots.make(group, code, memo, (u) => memo.call(u, code));
  expect(slots.get(group, code)).toBe(at);
  /** Per block of the group: GENERIC, or its calls as [event type, outcome]. */
  const blocks = memo.blocks.flatMap((b, i) => ((b.slot ?? codec.n) === group ? [i] : []));
  return blocks.map((b, r) => {
    let p = slots.arena[at + r]!;
    if (p === GENERIC) return { b, calls: GENERIC };
    const calls: [string, number][] = [];
    const n = slots.arena[p++]!;
    for (let x = 0; x < n; x++) {
      const nw = slots.arena[p + 3]!;
      calls.push([memo.events[slots.arena[p]!]!.type, slots.arena[p + 1]!]);
      p += OP_HEAD + nw + 1;
    }
    expect(calls.map(([t]) => t)).toEqual([...memo.block(b, code).us].map((u) => memo.events[u]!.type));
    return { b, calls };
  });
}

describe('SlotCalls', () => {
  it("keeps device 0's blocks (really_probe of each of its drivers) for the state's global id and tuple", () => {
    const m = model('vfio-vs-dma-api');
    const [probe] = entryOf(m, m.init, 0);
    expect(probe!.calls).toEqual([
      ['really_probe', 0],
      ['really_probe', 0],
    ]);
  });

  it('leaves generic a block whose call reads every device (pre-5.19 viability check at SET_CONTAINER)', () => {
    const m = model('vfio-vs-dma-api', 'w1-vfio-viability');
    const opened = expectOk(m, expectOk(m, m.init, { type: 'really_probe', dev: 0, driver: 'vfio-pci' }), { type: 'vfio_group_fops_open', ctx: 0, group: 0 });
    const global = entryOf(m, opened, opened.devices.length);
    // The first group-wide block holds VFIO_GROUP_SET_CONTAINER, whose claim reads every driver.
    expect(global[0]!.calls).toBe(GENERIC);
  });
});

describe('Grid and TripleIndex', () => {
  it('Grid keeps every pair, inside its dense part and beyond it', () => {
    const g = new Grid();
    const pairs: [number, number][] = [
      [0, 0],
      [3, 1],
      [70, 5],
      [2, 40],
      [5000, 3000],
      [1, 1 << 20],
    ];
    pairs.forEach(([x, y], v) => g.set(x, y, v));
    pairs.forEach(([x, y], v) => expect(g.get(x, y)).toBe(v));
    expect(g.get(3, 2)).toBe(-1);
    expect(g.get(1 << 21, 0)).toBe(-1);
  });

  it('TripleIndex keeps every triple across growth', () => {
    const t = new TripleIndex();
    for (let i = 0; i < 5000; i++) t.add(i % 7, i, i * 3, i);
    for (let i = 0; i < 5000; i++) expect(t.get(i % 7, i, i * 3)).toBe(i);
    expect(t.get(1, 2, 3)).toBe(-1);
    expect(t.size).toBe(5000);
  });
});
