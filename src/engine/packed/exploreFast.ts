/**
 * The packed exploration engine: the same breadth-first search as explore() (same order, same
 * bounds, same counts, same shortest deterministic counterexamples, same coverage), over packed
 * state codes instead of full snapshots.
 *
 * - States are coded by StateCodec (1 + N small integers) and kept only in the StateStore
 *   (open addressing over typed arrays); a state is rebuilt from its code (interned objects)
 *   when it is expanded.
 * - Per state: its parent id (Int32Array) and the index of the event, in model.events(parent),
 *   that reached it (Uint16Array). Traces are rebuilt by replaying those events from the initial
 *   state through model.apply: the semantic functions stay the only source of successors.
 * - Optional symmetry reduction over interchangeable devices (./symmetry.ts); counterexamples
 *   are then replayed as concrete runs from the real initial state.
 *
 * Pure: no I/O. Time is read only to honour maxSeconds and report speed.
 */
import type { Invariant } from '../../invariants/index.ts';
import { INVARIANTS } from '../../invariants/index.ts';
import type { IommuEvent } from '../../machines/events.ts';
import { successor } from '../../machines/events.ts';
import type { Model } from '../../machines/model.ts';
import type { SystemState } from '../../machines/state.ts';
import { checkStepInvariants, fireCall } from '../fireCall.ts';
import { resolveExploreOptions } from '../resolveOptions.ts';
import type { EventCoverage, ExplorationResult, ExploreOptions, TraceStep, Violation } from '../types.ts';
import { makeKeyArray, StateCodec, WidthOverflow, type KeyArray, type Width } from './codec.ts';
import { StateStore } from './stateStore.ts';
import { DeviceSymmetry, deviceSymmetryClasses } from './symmetry.ts';

export interface ExploreFastOptions extends ExploreOptions {
  /**
   * Symmetry reduction over interchangeable devices. Default: on when the scenario has
   * interchangeable devices. Counts are then orbit representatives; verdicts stay the same.
   */
  symmetry?: boolean;
}

/** What exploreFast adds to ExplorationResult. */
export interface FastStats {
  /** Symmetry reduction was applied (some device class had two or more slots). */
  symmetry: boolean;
  /** Bytes per stored state: code + parent + event index + hash table share. */
  bytesPerState: number;
  /** Elements per state code and their width in bytes. */
  codeElements: number;
  codeWidth: Width;
}

export type FastExplorationResult = ExplorationResult & { fast: FastStats };

interface Found {
  inv: Invariant;
  reason: string;
  stateId: number;
  /** For a step invariant: the index of the event from `stateId` that broke it. */
  eventIndex: number;
}

/** Explores `model` exhaustively (or up to the bounds in `options`), like explore(). */
export function exploreFast(model: Model, options: ExploreFastOptions = {}): FastExplorationResult {
  let width: Width = 1;
  for (;;) {
    try {
      return run(model, options, width);
    } catch (e) {
      if (!(e instanceof WidthOverflow)) throw e;
      if (width === 4) throw new Error('exploreFast: more than 2^32 distinct device tuples');
      width = width === 1 ? 2 : 4;
    }
  }
}

class GrowInt32 {
  a = new Int32Array(1 << 12);
  push(i: number, v: number) {
    if (i >= this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[i] = v;
  }
}
class GrowUint16 {
  a = new Uint16Array(1 << 12);
  push(i: number, v: number) {
    if (i >= this.a.length) {
      const b = new Uint16Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[i] = v;
  }
}

function run(model: Model, options: ExploreFastOptions, width: Width): FastExplorationResult {
  const cfg = resolveExploreOptions(options);
  const invs = cfg.invariants ? INVARIANTS.filter((i) => cfg.invariants?.includes(i.id)) : INVARIANTS;
  const stateInvs = invs.filter((i) => i.check);
  const stepInvs = invs.filter((i) => i.step);
  const scenario = model.scenario;
  const t0 = performance.now();
  const seconds = () => (performance.now() - t0) / 1000;

  StateCodec.assertShape(model.init);
  const n = model.init.devices.length;
  const codec = new StateCodec(n, width);
  const k = codec.k;
  const classes = options.symmetry === false ? [] : deviceSymmetryClasses(scenario);
  const sym = classes.length > 0 ? new DeviceSymmetry(classes, codec) : null;

  const store = new StateStore(k, width);
  const parent = new GrowInt32();
  const via = new GrowUint16();
  const scratch: KeyArray = makeKeyArray(width, k);
  const found = new Map<string, Found>();
  const coverage: Record<string, EventCoverage> = {};
  const broken = new Set<number>();
  let transitions = 0;
  let maxDepth = 0;
  let bound: ExplorationResult['bound'] = null;
  let curDepth = 0;
  let layerEnd = 1;

  const checkState = (id: number, s: SystemState) => {
    for (const inv of stateInvs) {
      const reason = inv.check!(s, scenario);
      if (reason === null) continue;
      broken.add(id);
      if (!found.has(inv.id)) found.set(inv.id, { inv, reason, stateId: id, eventIndex: -1 });
    }
  };
  /** Adds the state coded in `scratch` (object `s`); returns its id. */
  const add = (s: SystemState, from: number, eventIndex: number, depth: number): number => {
    const r = store.findOrAdd(scratch);
    if (r >= 0) return r;
    const id = ~r;
    parent.push(id, from);
    via.push(id, eventIndex);
    if (depth > maxDepth) maxDepth = depth;
    checkState(id, s);
    return id;
  };

  {
    codec.encode(model.init, scratch);
    const init = sym ? sym.canonicalize(model.init, scratch) : model.init;
    add(init, -1, 0, 0);
  }
  let head = 0;
  while (head < store.count) {
    if (store.count >= cfg.maxStates) {
      bound = 'max-states';
      break;
    }
    if ((head & 255) === 0 && seconds() > cfg.maxSeconds) {
      bound = 'max-seconds';
      break;
    }
    const id = head++;
    if (id >= layerEnd) {
      curDepth++;
      layerEnd = store.count;
    }
    if (broken.has(id)) continue;
    const keys = store.keys;
    const base = id * k;
    const s = codec.decode(keys, base);
    const events = model.events(s);
    if (events.length > 0xffff) throw new Error('exploreFast: more than 65535 events in one state');
    for (let ei = 0; ei < events.length; ei++) {
      const e = events[ei]!;
      const { next, cov } = fireCall(model, s, e, coverage);
      if (next === null) continue;
      transitions++;
      checkStepInvariants(stepInvs, (i) => found.has(i), s, e, next, model, (inv, reason) =>
        found.set(inv.id, { inv, reason, stateId: id, eventIndex: ei }),
      );
      codec.encode(next, scratch);
      const sk = store.keys;
      let same = true;
      for (let i = 0; i < k; i++) {
        if (scratch[i] !== sk[base + i]) {
          same = false;
          break;
        }
      }
      if (!same) cov.changed++;
      const rep = sym ? sym.canonicalize(next, scratch) : next;
      add(rep, id, ei, curDepth + 1);
      if (store.count >= cfg.maxStates) break;
    }
    if (cfg.onProgress && id % cfg.progressEvery === 0 && id > 0) {
      cfg.onProgress({ states: store.count, transitions, queue: store.count - head, depth: curDepth, seconds: seconds() });
    }
  }
  if (bound === null && head < store.count) bound = 'max-states';

  const stateOf = (id: number): SystemState => codec.decode(store.keys, id * k);
  const codeEquals = (s: SystemState, id: number): boolean => {
    codec.encode(s, scratch);
    if (sym) sym.canonicalize(s, scratch);
    for (let i = 0; i < k; i++) if (scratch[i] !== store.keys[id * k + i]) return false;
    return true;
  };

  /** A concrete run from the initial state to a state whose code is that of `id`. */
  const pathTo = (id: number): { steps: TraceStep[]; last: SystemState } => {
    const chain: number[] = [];
    for (let cur = id; parent.a[cur]! >= 0; cur = parent.a[cur]!) chain.push(cur);
    chain.reverse();
    const steps: TraceStep[] = [];
    let s = model.init;
    for (const child of chain) {
      let step: TraceStep | null = null;
      if (!sym) {
        const e = model.events(s)[via.a[child]!]!;
        const r = model.apply(s, e);
        const next = successor(r);
        if (next !== null && codeEquals(next, child)) step = { event: e, errno: r.ok ? null : r.errno, state: next };
      } else {
        // The stored event was taken in the parent's representative; in the concrete state the
        // first event whose successor lies in the child's orbit plays its part.
        for (const e of model.events(s)) {
          const r = model.apply(s, e);
          const next = successor(r);
          if (next !== null && codeEquals(next, child)) {
            step = { event: e, errno: r.ok ? null : r.errno, state: next };
            break;
          }
        }
      }
      if (!step) throw new Error(`exploreFast: could not replay the trace to state ${id}`);
      steps.push(step);
      s = step.state;
    }
    return { steps, last: s };
  };

  const violations: Violation[] = invs.flatMap((inv): Violation[] => {
    const f = found.get(inv.id);
    if (!f) return [];
    const { steps, last } = pathTo(f.stateId);
    if (f.eventIndex < 0) {
      const reason = sym ? (inv.check!(last, scenario) ?? f.reason) : f.reason;
      return [{ invariant: inv.id, reason, kind: 'state' as const, init: model.init, steps }];
    }
    let stepFound: { e: IommuEvent; errno: TraceStep['errno']; next: SystemState; reason: string } | null = null;
    const rep = stateOf(f.stateId);
    const repEvent = model.events(rep)[f.eventIndex]!;
    if (!sym) {
      const r = model.apply(last, repEvent);
      stepFound = { e: repEvent, errno: r.ok ? null : r.errno, next: successor(r)!, reason: f.reason };
    } else {
      for (const e of model.events(last)) {
        const r = model.apply(last, e);
        const next = successor(r);
        if (next === null) continue;
        const reason = inv.step!(last, e, next, scenario);
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

  const b = store.bytes();
  const count = store.count;
  return {
    status: violations.length > 0 ? 'violated' : bound ? 'incomplete' : 'holds',
    bound,
    distinctStates: count,
    transitions,
    depth: maxDepth,
    seconds: seconds(),
    violations,
    coverage,
    fast: {
      symmetry: sym !== null,
      bytesPerState: count > 0 ? (b.codes + b.table) / count + 4 + 2 : 0,
      codeElements: k,
      codeWidth: width,
    },
  };
}
