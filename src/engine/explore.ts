/**
 * Breadth-first exploration of every reachable state of a model, with every invariant checked in
 * every state (and every step invariant on every successful call). BFS with parent indices keeps
 * each counterexample shortest and deterministic. A bound that cuts exploration short yields
 * status `incomplete` (or `violated` with `bound` set), never `holds`.
 *
 * Pure: no I/O. Time is read only to honour maxSeconds and report speed.
 */
import type { Invariant } from '../invariants/index.ts';
import { INVARIANTS } from '../invariants/index.ts';
import type { IommuEvent } from '../machines/events.ts';
import { successor } from '../machines/events.ts';
import type { Model } from '../machines/model.ts';
import type { SystemState } from '../machines/state.ts';
import { checkStepInvariants, fireCall } from './fireCall.ts';
import { resolveExploreOptions } from './resolveOptions.ts';
import { canonicalKey } from './serialize.ts';
import type { EventCoverage, ExplorationResult, ExploreOptions, TraceStep, Violation } from './types.ts';

interface Found {
  inv: Invariant;
  reason: string;
  stateId: number;
  /** For a step invariant: the call from `stateId` that broke it. */
  event: IommuEvent | null;
}

/** Explores `model` exhaustively (or up to the bounds in `options`). */
export function explore(model: Model, options: ExploreOptions = {}): ExplorationResult {
  const cfg = resolveExploreOptions(options);
  const invs = cfg.invariants ? INVARIANTS.filter((i) => cfg.invariants?.includes(i.id)) : INVARIANTS;
  const stateInvs = invs.filter((i) => i.check);
  const stepInvs = invs.filter((i) => i.step);
  const scenario = model.scenario;
  const t0 = performance.now();
  const seconds = () => (performance.now() - t0) / 1000;

  const ids = new Map<string, number>();
  const states: SystemState[] = [];
  const parent: number[] = [];
  const via: (IommuEvent | null)[] = [];
  const depthOf: number[] = [];
  const found = new Map<string, Found>();
  const coverage: Record<string, EventCoverage> = {};
  let transitions = 0;
  let maxDepth = 0;
  let bound: ExplorationResult['bound'] = null;

  /** States that break a state invariant are recorded and not expanded (as TLC stops there). */
  const broken = new Set<number>();
  const checkState = (id: number, s: SystemState) => {
    for (const inv of stateInvs) {
      const reason = inv.check!(s, scenario);
      if (reason === null) continue;
      broken.add(id);
      if (!found.has(inv.id)) found.set(inv.id, { inv, reason, stateId: id, event: null });
    }
  };
  const add = (s: SystemState, from: number, e: IommuEvent | null): number => {
    const key = canonicalKey(s);
    const seen = ids.get(key);
    if (seen !== undefined) return seen;
    const id = states.length;
    ids.set(key, id);
    states.push(s);
    parent.push(from);
    via.push(e);
    const depth = from < 0 ? 0 : (depthOf[from] ?? 0) + 1;
    depthOf.push(depth);
    if (depth > maxDepth) maxDepth = depth;
    checkState(id, s);
    return id;
  };

  add(model.init, -1, null);
  let head = 0;
  while (head < states.length) {
    if (states.length >= cfg.maxStates) {
      bound = 'max-states';
      break;
    }
    if ((head & 255) === 0 && seconds() > cfg.maxSeconds) {
      bound = 'max-seconds';
      break;
    }
    const id = head++;
    if (broken.has(id)) continue;
    const s = states[id]!;
    const sKey = canonicalKey(s);
    for (const e of model.events(s)) {
      const { next, cov } = fireCall(model, s, e, coverage);
      if (next === null) continue;
      transitions++;
      checkStepInvariants(stepInvs, (i) => found.has(i), s, e, next, model, (inv, reason) =>
        found.set(inv.id, { inv, reason, stateId: id, event: e }),
      );
      if (canonicalKey(next) !== sKey) cov.changed++;
      add(next, id, e);
      if (states.length >= cfg.maxStates) break;
    }
    if (cfg.onProgress && id % cfg.progressEvery === 0 && id > 0) {
      cfg.onProgress({ states: states.length, transitions, queue: states.length - head, depth: depthOf[id] ?? 0, seconds: seconds() });
    }
  }
  if (bound === null && head < states.length) bound = 'max-states';

  const pathTo = (id: number): TraceStep[] => {
    const steps: TraceStep[] = [];
    for (let cur = id; parent[cur]! >= 0; cur = parent[cur]!) {
      const p = parent[cur]!;
      const e = via[cur]!;
      const r = model.apply(states[p]!, e);
      steps.push({ event: e, errno: r.ok ? null : r.errno, state: states[cur]! });
    }
    return steps.reverse();
  };
  const violations: Violation[] = invs.flatMap((inv) => {
    const f = found.get(inv.id);
    if (!f) return [];
    const steps = pathTo(f.stateId);
    if (f.event) {
      const r = model.apply(states[f.stateId]!, f.event);
      steps.push({ event: f.event, errno: r.ok ? null : r.errno, state: successor(r)! });
    }
    return [{ invariant: inv.id, reason: f.reason, kind: f.event ? 'step' : 'state', init: states[0]!, steps }];
  });

  return {
    status: violations.length > 0 ? 'violated' : bound ? 'incomplete' : 'holds',
    bound,
    distinctStates: states.length,
    transitions,
    depth: maxDepth,
    seconds: seconds(),
    violations,
    coverage,
  };
}
