/**
 * Per-slot entries copied across a symmetry class (src/engine/packed/sharedEntries.ts): in
 * every reachable state of a small scaling model, slot j's entry copied from class-mate i's
 * (made for the state with i and j swapped) equals the entry made for slot j itself: the same
 * calls, outcomes, successors and writes (ids, and patches to other slots resolved per state).
 */
import { describe, expect, it } from 'vitest';
import { scalingScenario } from '../../bench/scaling.ts';
import { StateCodec } from '../../src/engine/packed/codec.ts';
import { MemoModel } from '../../src/engine/packed/memoModel.ts';
import { GENERIC, OP_HEAD, SlotCalls } from '../../src/engine/packed/slotCalls.ts';
import { DeviceSymmetry, deviceSymmetryClasses } from '../../src/engine/packed/symmetry.ts';
import { enumerateEvents } from '../../src/machines/enumerate.ts';
import { successor } from '../../src/machines/events.ts';
import { buildModel } from '../../src/machines/model.ts';
import type { SystemState } from '../../src/machines/state.ts';
import { currentVariant } from '../../src/machines/variants/index.ts';
import { canonicalKey } from '../../src/engine/serialize.ts';

/** Up to `max` states reachable from the initial one, breadth first. */
function reachable(m: ReturnType<typeof buildModel>, max: number): SystemState[] {
  const seen = new Map<string, SystemState>([[canonicalKey(m.init), m.init]]);
  const queue = [m.init];
  while (queue.length > 0 && seen.size < max) {
    const s = queue.shift()!;
    for (const e of enumerateEvents(m.scenario, s)) {
      const next = successor(m.apply(s, e));
      if (next === null || seen.has(canonicalKey(next))) continue;
      seen.set(canonicalKey(next), next);
      queue.push(next);
    }
  }
  return [...seen.values()];
}

/** An entry as plain data: per block, GENERIC or its calls [event, outcome, succ, writes]. */
function entry(slots: SlotCalls, memo: MemoModel, at: number, blocks: number): unknown[] {
  const a = slots.arena;
  return Array.from({ length: blocks }, (_, r) => {
    let p = a[at + r]!;
    if (p === GENERIC) return 'generic';
    const n = a[p++]!;
    const calls: unknown[] = [];
    for (let x = 0; x < n; x++) {
      const nw = a[p + 3]!;
      // Writes go to distinct components: their order does not matter.
      const writes: string[] = [];
      for (let w = 0; w < nw; w += 2) writes.push(`${a[p + OP_HEAD + w]}=${a[p + OP_HEAD + w + 1]}`);
      calls.push([canonicalKey(memo.events[a[p]!]), a[p + 1], a[p + 2], writes.sort()]);
      p += OP_HEAD + nw + 1;
    }
    return calls;
  });
}

describe('per-slot entries shared across a symmetry class', () => {
  it("slot j's entry copied from class-mate i's equals the one made for j (scaling model, 3 devices, 2 contexts)", () => {
    const m = buildModel(scalingScenario(3, 2), currentVariant);
    const codec = new StateCodec(m.init);
    const memo = new MemoModel(m, codec, [], []);
    const sym = new DeviceSymmetry(deviceSymmetryClasses(m.scenario), codec);
    const code = new Int32Array(codec.extLength);
    const swapped = new Int32Array(codec.extLength);
    let compared = 0;
    for (const s of reachable(m, 400)) {
      codec.encode(s, code);
      codec.extend(code);
      for (const [i, j] of [[0, 1], [1, 2], [2, 0]] as const) {
        if (!sym.movable(code, i) || !sym.movable(code, j)) continue;
        // The same state with i and j swapped: the global part stays (movable), the tuples trade places.
        swapped.set(code);
        [swapped[1 + i], swapped[1 + j]] = [code[1 + j]!, code[1 + i]!];
        codec.extend(swapped);
        const made = new SlotCalls(memo.blocks, codec);
        const from = made.make(i, code, memo, (u) => memo.call(u, code));
        const blocks = memo.blocks.filter((b) => b.slot === i).length;
        const perm = sym.transposition(i, j);
        const copied = made.copy(j, i, from, swapped, memo, (c, id) => (c === 0 ? sym.renamedGlobal(id, perm) : sym.renamedTuple(id, perm)), (p) => sym.slotFreePatch(p));
        expect(copied).toBeGreaterThanOrEqual(0);
        const fresh = new SlotCalls(memo.blocks, codec);
        const own = fresh.make(j, swapped, memo, (u) => memo.call(u, swapped));
        expect(entry(made, memo, copied, blocks)).toEqual(entry(fresh, memo, own, blocks));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(300);
  });
});
