/**
 * Simulation: random executions of the same model (same semantic functions, same invariants)
 * for models past exhaustive reach, with fast-check as the generator and the shrinker.
 *
 * A run is a sequence of choice indices; index i picks `events[i % events.length]` among the
 * calls enabled in the current state. A call that fails without a successor leaves the state as
 * it is, as in the engine. Every state invariant is checked on every state and every step
 * invariant on every call; the first violation fails the run. fast-check shrinks the failing
 * choice sequence (keeping the invariant first found), then a breadth-first search from the
 * initial state, bounded by the shrunk trace's length and a state budget, looks for a shorter
 * trace to the same invariant. States that break a state invariant are not expanded, as in
 * the exhaustive engine, so a trace is never longer than the one `check` finds.
 *
 * The verdict is never "holds": a simulation that finds nothing proves nothing.
 *
 * Pure: no I/O. Time is read only through fast-check's `interruptAfterTimeLimit` (`seconds`).
 */
import fc from 'fast-check';
import type { Errno } from '../kernel/errno.ts';
import { INVARIANTS, type Invariant } from '../invariants/index.ts';
import { successor, type IommuEvent } from '../machines/events.ts';
import type { Model } from '../machines/model.ts';
import type { SystemState } from '../machines/state.ts';
import { canonicalKey } from './serialize.ts';
import type { TraceStep, Violation } from './types.ts';

export interface SimulateOptions {
  /** Random runs. @default 1000 */
  runs?: number;
  /** Calls per run at most. @default 50 */
  depth?: number;
  /** fast-check's seed: the same seed gives the same runs and the same trace. @default 0 */
  seed?: number;
  /** Stop generating runs (and shrinking) after this many seconds. @default no limit */
  seconds?: number;
  /** States the shortening breadth-first search may visit. @default 200_000 */
  searchStates?: number;
  /** Invariant ids to check (all when omitted). */
  invariants?: readonly string[];
}

/** How often a call was enabled in a visited state, chosen, succeeded, failed with which errno. */
export interface SimCoverage {
  enabled: number;
  fired: number;
  ok: number;
  errnos: Partial<Record<Errno, number>>;
}

export interface SimulationResult {
  violated: boolean;
  /** The (shrunk, then shortened) counterexample, in the engine's shape; null when none was found. */
  violation: Violation | null;
  /** Runs generated (fewer than asked when `seconds` ran out). */
  runs: number;
  depth: number;
  seed: number;
  /** `seconds` ran out before every run (or the shrinking) was done. */
  interrupted: boolean;
  /** Calls in the first failing run, before shrinking; null when nothing failed. */
  shrunkFrom: number | null;
  /** Calls after fast-check's shrinking, before the breadth-first search; null when nothing failed. */
  shrunkTo: number | null;
  /** The breadth-first search: states visited, and whether it proved the trace shortest. */
  search: { states: number; shortest: boolean } | null;
  /** Per kernel call, over the random runs (not the shrinking). */
  coverage: Record<string, SimCoverage>;
}

/** The verdict line: never "holds". */
export function simulationVerdict(r: Pick<SimulationResult, 'violation' | 'runs' | 'depth' | 'seed'>): string {
  if (r.violation) return `violation of ${r.violation.invariant} found in ${r.violation.steps.length} calls (seed ${r.seed})`;
  return `no violation found in ${r.runs} runs of depth ${r.depth} (seed ${r.seed})`;
}

interface Broken {
  inv: Invariant;
  reason: string;
  kind: 'state' | 'step';
}

/** The invariants of a simulation: state and step ones. */
export function invariantSets(ids?: readonly string[]): { stateInvs: Invariant[]; stepInvs: Invariant[] } {
  const invs = ids ? INVARIANTS.filter((i) => ids.includes(i.id)) : [...INVARIANTS];
  return { stateInvs: invs.filter((i) => i.check), stepInvs: invs.filter((i) => i.step) };
}

/** The first state invariant `s` breaks, or null. */
function brokenState(stateInvs: readonly Invariant[], s: SystemState, model: Model): Broken | null {
  for (const inv of stateInvs) {
    const reason = inv.check!(s, model.scenario);
    if (reason !== null) return { inv, reason, kind: 'state' };
  }
  return null;
}

/** The first step invariant the call breaks, or null. */
function brokenStep(stepInvs: readonly Invariant[], s: SystemState, e: IommuEvent, next: SystemState, model: Model): Broken | null {
  for (const inv of stepInvs) {
    const reason = inv.step!(s, e, next, model.scenario);
    if (reason !== null) return { inv, reason, kind: 'step' };
  }
  return null;
}

type Invs = ReturnType<typeof invariantSets>;

/**
 * Runs one choice sequence on the model: its steps, and the first invariant broken (on the
 * initial state, a call or the state after it), or null. `coverage`, when given, is counted.
 */
export function walk(model: Model, choices: readonly number[], invs: Invs, coverage?: Record<string, SimCoverage>): { steps: TraceStep[]; broken: Broken | null } {
  const steps: TraceStep[] = [];
  let s = model.init;
  const atInit = brokenState(invs.stateInvs, s, model);
  if (atInit) return { steps, broken: atInit };
  for (const choice of choices) {
    const events = model.events(s);
    if (events.length === 0) break;
    if (coverage) for (const e of events) (coverage[e.type] ??= { enabled: 0, fired: 0, ok: 0, errnos: {} }).enabled++;
    const e = events[choice % events.length]!;
    const r = model.apply(s, e);
    if (coverage) {
      const cov = coverage[e.type]!;
      cov.fired++;
      if (r.ok) cov.ok++;
      else cov.errnos[r.errno] = (cov.errnos[r.errno] ?? 0) + 1;
    }
    const next = successor(r);
    if (next === null) continue;
    steps.push({ event: e, errno: r.ok ? null : r.errno, state: next });
    const broken = brokenStep(invs.stepInvs, s, e, next, model) ?? brokenState(invs.stateInvs, next, model);
    if (broken) return { steps, broken };
    s = next;
  }
  return { steps, broken: null };
}

const toViolation = (model: Model, steps: TraceStep[], b: Broken): Violation => ({ invariant: b.inv.id, reason: b.reason, kind: b.kind, init: model.init, steps });

/**
 * A shortest trace to invariant `target` of fewer than `below` calls, by breadth-first search
 * from the initial state within `budget` states; `shortest` is true when the search covered
 * every trace shorter than `below` (so none exists when `violation` is null).
 */
export function shorterTrace(model: Model, target: Invariant, below: number, budget: number): { violation: Violation | null; states: number; shortest: boolean } {
  const states: SystemState[] = [model.init];
  const parent: number[] = [-1];
  const via: (IommuEvent | null)[] = [null];
  const seen = new Set<string>([canonicalKey(model.init)]);
  const { stateInvs } = invariantSets();
  const pathTo = (id: number): TraceStep[] => {
    const steps: TraceStep[] = [];
    for (let cur = id; parent[cur]! >= 0; cur = parent[cur]!) {
      const r = model.apply(states[parent[cur]!]!, via[cur]!);
      steps.push({ event: via[cur]!, errno: r.ok ? null : r.errno, state: states[cur]! });
    }
    return steps.reverse();
  };
  if (target.check?.(model.init, model.scenario)) return { violation: null, states: 1, shortest: true };
  let level = [0];
  for (let depth = 1; depth < below && level.length > 0; depth++) {
    const nextLevel: number[] = [];
    for (const id of level) {
      const s = states[id]!;
      for (const e of model.events(s)) {
        const r = model.apply(s, e);
        const next = successor(r);
        if (next === null) continue;
        const stepReason = target.step?.(s, e, next, model.scenario) ?? null;
        if (stepReason !== null) {
          const steps = [...pathTo(id), { event: e, errno: r.ok ? null : r.errno, state: next }];
          return { violation: { invariant: target.id, reason: stepReason, kind: 'step', init: model.init, steps }, states: states.length, shortest: true };
        }
        const key = canonicalKey(next);
        if (seen.has(key)) continue;
        if (states.length >= budget) return { violation: null, states: states.length, shortest: false };
        seen.add(key);
        states.push(next);
        parent.push(id);
        via.push(e);
        const nid = states.length - 1;
        const reason = target.check?.(next, model.scenario) ?? null;
        if (reason !== null) return { violation: { invariant: target.id, reason, kind: 'state', init: model.init, steps: pathTo(nid) }, states: states.length, shortest: true };
        // As the exhaustive engine: a state that breaks any state invariant is not expanded.
        if (!brokenState(stateInvs, next, model)) nextLevel.push(nid);
      }
    }
    level = nextLevel;
  }
  return { violation: null, states: states.length, shortest: true };
}

/** Random runs of `model` with every invariant checked; a violation shrunk and shortened. */
export function simulate(model: Model, options: SimulateOptions = {}): SimulationResult {
  const runs = options.runs ?? 1000;
  const depth = options.depth ?? 50;
  const seed = options.seed ?? 0;
  const invs = invariantSets(options.invariants);
  const coverage: Record<string, SimCoverage> = {};
  /** The invariant of the first failing run: shrinking keeps it. */
  let target: string | null = null;
  let shrunkFrom: number | null = null;
  const property = fc.property(fc.array(fc.nat({ max: 1023 }), { maxLength: depth, size: 'max' }), (choices) => {
    const { steps, broken } = walk(model, choices, invs, target === null ? coverage : undefined);
    if (!broken) return true;
    if (target === null) {
      target = broken.inv.id;
      shrunkFrom = steps.length;
    }
    return broken.inv.id !== target;
  });
  const out = fc.check(property, {
    seed,
    numRuns: runs,
    ...(options.seconds !== undefined ? { interruptAfterTimeLimit: options.seconds * 1000, markInterruptAsFailure: false } : {}),
  });
  const base = { runs: out.numRuns, depth, seed, interrupted: out.interrupted, coverage };
  if (!out.failed || !out.counterexample) {
    return { ...base, violated: false, violation: null, shrunkFrom: null, shrunkTo: null, search: null };
  }
  const { steps, broken } = walk(model, out.counterexample[0], invs);
  if (!broken) throw new Error('simulate: the shrunk run no longer breaks an invariant');
  const shrunk = toViolation(model, steps, broken);
  const budget = options.searchStates ?? 200_000;
  const found = shorterTrace(model, broken.inv, steps.length, budget);
  return {
    ...base,
    violated: true,
    violation: found.violation ?? shrunk,
    shrunkFrom,
    shrunkTo: steps.length,
    search: { states: found.states, shortest: found.shortest },
  };
}

/** One recorded call of a trace to replay: the call and the errno it returned then. */
export interface RecordedCall {
  event: IommuEvent;
  errno: Errno | null;
}

export type ReplayResult =
  /** Call `step` (1-based) is not among the calls enabled in the state the replay reached. */
  | { applies: false; step: number; event: IommuEvent }
  /** The calls ran; `violation` is the first invariant broken on the way, or null. */
  | { applies: true; violation: Violation | null; steps: TraceStep[]; diverged: { step: number; what: string }[] };

/**
 * Runs recorded calls back on `model`, checking every invariant on every state and call, up to
 * the first violation. A call that now fails without a successor leaves the state as it is (as
 * in simulation); a different errno is noted in `diverged`. Where `prefer` (the invariant the
 * trace recorded) breaks together with others, it is the one reported.
 */
export function replayCalls(model: Model, calls: readonly RecordedCall[], prefer?: string, invariants?: readonly string[]): ReplayResult {
  const all = invariantSets(invariants);
  const first = <T extends Invariant>(list: T[]) => [...list.filter((i) => i.id === prefer), ...list.filter((i) => i.id !== prefer)];
  const invs = { stateInvs: first(all.stateInvs), stepInvs: first(all.stepInvs) };
  const steps: TraceStep[] = [];
  const diverged: { step: number; what: string }[] = [];
  let s = model.init;
  const atInit = brokenState(invs.stateInvs, s, model);
  if (atInit) return { applies: true, violation: toViolation(model, steps, atInit), steps, diverged };
  for (const [i, call] of calls.entries()) {
    const key = canonicalKey(call.event);
    const e = model.events(s).find((x) => canonicalKey(x) === key);
    if (!e) return { applies: false, step: i + 1, event: call.event };
    const r = model.apply(s, e);
    const errno = r.ok ? null : r.errno;
    if (errno !== call.errno) diverged.push({ step: i + 1, what: `returned ${errno ? `-${errno}` : '0'}, recorded ${call.errno ? `-${call.errno}` : '0'}` });
    const next = successor(r);
    if (next === null) continue;
    steps.push({ event: e, errno, state: next });
    const broken = brokenStep(invs.stepInvs, s, e, next, model) ?? brokenState(invs.stateInvs, next, model);
    if (broken) return { applies: true, violation: toViolation(model, steps, broken), steps, diverged };
    s = next;
  }
  return { applies: true, violation: null, steps, diverged };
}
