/**
 * The engine's cached model checked against model.apply on reachable states: a fixed-seed
 * random walk over the model's states (each step takes call `pick % calls`), with a MemoModel
 * over all invariants, and the check that a cached call result is what model.apply gives.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { StateCodec } from '../../src/engine/packed/codec.ts';
import { MemoModel, OUTCOMES, type CallLeaf } from '../../src/engine/packed/memoModel.ts';
import { INVARIANTS } from '../../src/invariants/index.ts';
import { successor } from '../../src/machines/events.ts';
import type { Model } from '../../src/machines/model.ts';
import type { SystemState } from '../../src/machines/state.ts';

export interface MemoSetup {
  codec: StateCodec;
  memo: MemoModel;
  /** The extended code of the state being visited. */
  code: Int32Array;
}

/** Calls `visit(s)` on every state of 60 random walks of up to 40 calls from the initial state (code already filled); `projected`: the MemoModel caches blocks by global places (blockCache.ts). */
export function walkReachable(model: Model, seed: number, visit: (s: SystemState, m: MemoSetup) => void, projected = false): void {
  const codec = new StateCodec(model.init);
  const memo = new MemoModel(model, codec, INVARIANTS.filter((i) => i.step), INVARIANTS.filter((i) => i.scan), projected);
  const m = { codec, memo, code: new Int32Array(codec.extLength) };
  fc.assert(
    fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 40 }), (picks) => {
      let s: SystemState = model.init;
      for (const p of picks) {
        codec.encode(s, m.code);
        codec.extend(m.code);
        visit(s, m);
        const events = model.events(s);
        const next = successor(model.apply(s, events[p % events.length]!));
        if (next) s = next;
      }
    }),
    { seed, numRuns: 60 },
  );
}

/** Call `u`'s cached result `leaf` in state `s` has model.apply's outcome, successor code and broken step invariants. */
export function expectLeafIsApply(model: Model, { codec, memo, code }: MemoSetup, s: SystemState, u: number, leaf: CallLeaf): void {
  const e = memo.events[u]!;
  const r = model.apply(s, e);
  const next = successor(r);
  expect(OUTCOMES[leaf.outcome]).toBe(r.ok ? null : r.errno);
  expect(leaf.succ).toBe(next !== null);
  if (!next) return;
  const got = code.slice(0, codec.k);
  for (let j = 0; j < leaf.writes.length; j += 2) got[leaf.writes[j]!] = codec.written(code, leaf.writes[j]!, leaf.writes[j + 1]!);
  const want = new Int32Array(codec.k);
  codec.encode(next, want);
  expect([...got]).toEqual([...want]);
  const broken = INVARIANTS.filter((i) => i.step).flatMap((inv, i) => {
    const reason = inv.step!(s, e, next, model.scenario);
    return reason === null ? [] : [[i, reason]];
  });
  expect(leaf.broken ?? []).toEqual(broken);
}
