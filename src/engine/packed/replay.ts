/**
 * Counterexamples of exploreFast, rebuilt from parent ids by replaying the semantic functions
 * from the initial state: for each state on the parent chain, the first call (in model.events
 * order) whose successor has the child's code, which is the call that BFS reached it by first.
 * With symmetry reduction codes are orbit representatives, so the replay is a concrete run
 * whose states lie in the recorded orbits.
 */
import type { Invariant } from '../../invariants/index.ts';
import type { IommuEvent } from '../../machines/events.ts';
import { successor } from '../../machines/events.ts';
import type { Model } from '../../machines/model.ts';
import type { SystemState } from '../../machines/state.ts';
import type { TraceStep, Violation } from '../types.ts';
import type { StateCodec } from './codec.ts';
import type { PackedStore } from './packedStore.ts';
import type { DeviceSymmetry } from './symmetry.ts';

/** The first state (or step, from a state) found to break an invariant. */
export interface Found {
  inv: Invariant;
  reason: string;
  stateId: number;
  /** For a step invariant: the index, in model.events of that state, of the call that broke it. */
  eventIndex: number;
}

export interface ReplayContext {
  model: Model;
  codec: StateCodec;
  store: PackedStore;
  sym: DeviceSymmetry | null;
  parentOf: (id: number) => number;
  invs: readonly Invariant[];
  found: ReadonlyMap<string, Found>;
}

/** The violations, in registry order, each with its shortest trace. */
export function counterexamples({ model, codec, store, sym, parentOf, invs, found }: ReplayContext): Violation[] {
  const a = new Int32Array(codec.k);
  const b = new Int32Array(codec.k);
  const codeIs = (s: SystemState, id: number): boolean => {
    codec.encode(s, a);
    sym?.canonicalize(a);
    store.unpack(id, b);
    return a.every((x, i) => x === b[i]);
  };
  const stepTo = (s: SystemState, id: number): TraceStep | null => {
    for (const e of model.events(s)) {
      const r = model.apply(s, e);
      const next = successor(r);
      if (next !== null && codeIs(next, id)) return { event: e, errno: r.ok ? null : r.errno, state: next };
    }
    return null;
  };
  /** A concrete run from the initial state to a state whose code is that of `id`. */
  const pathTo = (id: number): { steps: TraceStep[]; last: SystemState } => {
    const chain: number[] = [];
    for (let cur = id; parentOf(cur) >= 0; cur = parentOf(cur)) chain.push(cur);
    chain.reverse();
    const steps: TraceStep[] = [];
    let s = model.init;
    for (const child of chain) {
      const step = stepTo(s, child);
      if (!step) throw new Error(`exploreFast: could not replay the trace to state ${id}`);
      steps.push(step);
      s = step.state;
    }
    return { steps, last: s };
  };

  return invs.flatMap((inv): Violation[] => {
    const f = found.get(inv.id);
    if (!f) return [];
    const { steps, last } = pathTo(f.stateId);
    if (f.eventIndex < 0) {
      const reason = sym ? (inv.check!(last, model.scenario) ?? f.reason) : f.reason;
      return [{ invariant: inv.id, reason, kind: 'state' as const, init: model.init, steps }];
    }
    let stepFound: { e: IommuEvent; errno: TraceStep['errno']; next: SystemState; reason: string } | null = null;
    if (!sym) {
      const e = model.events(last)[f.eventIndex]!;
      const r = model.apply(last, e);
      stepFound = { e, errno: r.ok ? null : r.errno, next: successor(r)!, reason: f.reason };
    } else {
      for (const e of model.events(last)) {
        const r = model.apply(last, e);
        const next = successor(r);
        if (next === null) continue;
        const reason = inv.step!(last, e, next, model.scenario);
        if (reason !== null) {
          stepFound = { e, errno: r.ok ? null : r.errno, next, reason };
          break;
        }
      }
      if (!stepFound) throw new Error(`exploreFast: could not replay the step that breaks ${inv.id}`);
    }
    steps.push({ event: stepFound.e, errno: stepFound.errno, state: stepFound.next });
    return [{ invariant: inv.id, reason: stepFound.reason, kind: 'step' as const, init: model.init, steps }];
  });
}
