/**
 * Differential checking: one scenario under two variants' rules. Pure (no I/O; the clock is read
 * only inside explore()).
 *
 * For a scenario it reports
 * - the invariants one variant breaks and the other keeps (from a normal check of each);
 * - the reachable states (canonical keys) one variant has and the other does not: counts, and the
 *   first few in BFS order as examples;
 * - the first divergence: the shortest sequence of calls, applied to both models from the initial
 *   state, after which the two differ: one call succeeds where the other fails, or the two
 *   successor states differ (BFS over the product, which stays one state while the two agree);
 * - each way: the shortest trace in variant A to a state B never reaches, with what B does on
 *   the same calls, and the same from B to A.
 *
 * As in `check`, exploration does not continue past a state that breaks a state invariant (the
 * state itself counts as reached). Errno-only differences (both fail, same state) are not
 * divergences: states are what the invariants judge.
 */
import { INVARIANTS } from '../invariants/index.ts';
import type { Errno } from '../kernel/errno.ts';
import { eventKey, successor, type IommuEvent } from '../machines/events.ts';
import type { Model } from '../machines/model.ts';
import type { SystemState } from '../machines/state.ts';
import { exploreFast } from './packed/exploreFast.ts';
import { canonicalKey } from './serialize.ts';
import type { ExplorationResult, TraceStep } from './types.ts';

export interface DiffOptions {
  /** Stop each exploration after this many distinct states (the diff is then incomplete). @default 2,000,000 */
  maxStates?: number;
  /** Stop after this many seconds for the whole comparison of one scenario (incomplete). */
  maxSeconds?: number;
  /** Stop once memoryBytes() exceeds this (incomplete). */
  maxMemory?: number;
  memoryBytes?: () => number;
  /** Called now and then with the phase running and the states it has so far. */
  onProgress?: (phase: string, states: number, seconds: number) => void;
  /** How many example states to keep per side. @default 3 */
  examples?: number;
}

/** What one call did in one variant: its errno (null for success) and the state after it (null: failed, nothing changed). */
export interface Outcome {
  errno: Errno | null;
  state: SystemState | null;
}

/** The shortest common call sequence after which the two variants differ. */
export interface Divergence {
  /** The calls both variants make alike, from the initial state (each step's state is the common state). */
  prefix: TraceStep[];
  /** The common state the diverging call starts from. */
  from: SystemState;
  event: IommuEvent;
  a: Outcome;
  b: Outcome;
  /** `ok-vs-error`: one call succeeds, the other fails; `different-state`: both agree on that but the successors differ. */
  kind: 'ok-vs-error' | 'different-state';
}

/** One step of a replay of another variant's trace: the outcome, or `enabled: false` when the call cannot be made there. */
export interface ReplayStep {
  enabled: boolean;
  errno: Errno | null;
  /** The state after the call (unchanged when it failed without side effects). */
  state: SystemState;
}

/** A shortest trace in one variant to a state the other never reaches, and the other variant's replay of it. */
export interface Witness {
  steps: TraceStep[];
  other: ReplayStep[];
}

export interface SideDiff {
  variant: string;
  result: ExplorationResult;
  /** Distinct reachable states (canonical keys). */
  states: number;
  /** Invariants this side breaks and the other keeps. */
  onlyInvariants: string[];
  /** Reachable states this side has and the other does not. */
  onlyStates: number;
  /** The first `examples` of them, in BFS order (shortest first). */
  examples: SystemState[];
  /** For each example, the other side's reachable state with the fewest differing fields (null when the other side is too large to search). */
  nearest: (SystemState | null)[];
  /** The shortest trace to such a state, or null. */
  witness: Witness | null;
}

export interface ScenarioDiff {
  scenario: string;
  a: SideDiff;
  b: SideDiff;
  /** Reachable states both have. */
  commonStates: number;
  divergence: Divergence | null;
  /** Every exploration finished (no bound cut it short). */
  complete: boolean;
  /** The bound that cut the comparison short, or null when it finished. */
  bound: 'max-states' | 'max-seconds' | 'max-memory' | null;
  /** No difference at all: same invariants, same reachable states, no divergence. */
  identical: boolean;
  /**
   * Both models start from the same state. False when the two sides are the same machine grouped
   * by two rules (diff --grouping-b): no common call sequence, so no divergence or replays.
   */
  sameStart: boolean;
}

const stateInvariants = INVARIANTS.filter((i) => i.check);

const breaksAny = (m: Model, s: SystemState): boolean => stateInvariants.some((i) => i.check!(s, m.scenario) !== null);

export interface Reach {
  keys: string[];
  index: Map<string, number>;
  states: SystemState[];
  parent: number[];
  via: (IommuEvent | null)[];
  complete: boolean;
}

/** The bounds of one scenario's comparison, shared by its phases; `cut` names the bound that ended it. */
export class Budget {
  cut: 'max-states' | 'max-seconds' | 'max-memory' | null = null;
  private readonly t0 = performance.now();
  constructor(
    readonly o: DiffOptions = {},
    readonly maxStates = o.maxStates ?? 2_000_000,
  ) {}
  seconds(): number {
    return (performance.now() - this.t0) / 1000;
  }
  /** False (and `cut` set) once a phase with `states` states must stop; reports progress every 4,096 states. */
  ok(phase: string, states: number): boolean {
    if (states >= this.maxStates) this.cut ??= 'max-states';
    else if ((states & 4095) === 0) {
      if (this.o.maxSeconds !== undefined && this.seconds() > this.o.maxSeconds) this.cut ??= 'max-seconds';
      else if (this.o.maxMemory !== undefined && this.o.memoryBytes && this.o.memoryBytes() > this.o.maxMemory) this.cut ??= 'max-memory';
      this.o.onProgress?.(phase, states, this.seconds());
    }
    return this.cut === null;
  }
}

/** Every reachable state of a model in BFS order, with parent pointers (not expanding invariant-breaking states). */
export function reach(m: Model, maxStates: number | Budget): Reach {
  const budget = typeof maxStates === 'number' ? new Budget({ maxStates }) : maxStates;
  const r: Reach = { keys: [], index: new Map(), states: [], parent: [], via: [], complete: true };
  const add = (s: SystemState, from: number, e: IommuEvent | null) => {
    const k = canonicalKey(s);
    if (r.index.has(k)) return;
    r.index.set(k, r.states.length);
    r.keys.push(k);
    r.states.push(s);
    r.parent.push(from);
    r.via.push(e);
  };
  add(m.init, -1, null);
  for (let head = 0; head < r.states.length; head++) {
    if (!budget.ok(`states of ${m.variant.name}`, r.states.length)) {
      r.complete = false;
      break;
    }
    const s = r.states[head]!;
    if (breaksAny(m, s)) continue;
    for (const e of m.events(s)) {
      const next = successor(m.apply(s, e));
      if (next !== null) add(next, head, e);
    }
  }
  return r;
}

/** The trace from the initial state to state `id` of a reach table. */
export function pathTo(m: Model, r: Reach, id: number): TraceStep[] {
  const steps: TraceStep[] = [];
  for (let cur = id; r.parent[cur]! >= 0; cur = r.parent[cur]!) {
    const p = r.parent[cur]!;
    const e = r.via[cur]!;
    const res = m.apply(r.states[p]!, e);
    steps.push({ event: e, errno: res.ok ? null : res.errno, state: r.states[cur]! });
  }
  return steps.reverse();
}

/** Replays `events` on `m` from its initial state; stops after a call `m` cannot make. */
export function replayOn(m: Model, events: readonly IommuEvent[]): ReplayStep[] {
  const out: ReplayStep[] = [];
  let s = m.init;
  for (const e of events) {
    const key = eventKey(e);
    if (!m.events(s).some((x) => eventKey(x) === key)) {
      out.push({ enabled: false, errno: null, state: s });
      break;
    }
    const r = m.apply(s, e);
    s = successor(r) ?? s;
    out.push({ enabled: true, errno: r.ok ? null : r.errno, state: s });
  }
  return out;
}

/** The leaf values of a state, by path, for counting differing fields. */
function leaves(s: SystemState): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (v: unknown, path: string) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
    else if (Array.isArray(v) && path.endsWith('.devices')) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else out.set(path, JSON.stringify(v));
  };
  walk(s, '');
  return out;
}

const NEAREST_LIMIT = 20_000;

/** The state of `pool` with the fewest fields differing from `s`. */
function nearestState(s: SystemState, pool: readonly SystemState[]): SystemState | null {
  if (pool.length === 0 || pool.length > NEAREST_LIMIT) return null;
  const ls = leaves(s);
  let best: SystemState | null = null;
  let bestD = Infinity;
  for (const p of pool) {
    let d = 0;
    for (const [k, v] of leaves(p)) if (ls.get(k) !== v) d++;
    if (d < bestD) [best, bestD] = [p, d];
  }
  return best;
}

const keyOrNull = (s: SystemState | null): string | null => (s === null ? null : canonicalKey(s));

/** BFS over the product of the two models while they agree: the shortest divergence, or null. */
function firstDivergence(a: Model, b: Model, budget: Budget): { divergence: Divergence | null; complete: boolean } {
  if (canonicalKey(a.init) !== canonicalKey(b.init)) throw new Error('diff: the two models start from different states (different scenarios?)');
  const index = new Map<string, number>([[canonicalKey(a.init), 0]]);
  const states: SystemState[] = [a.init];
  const parent: number[] = [-1];
  const via: (TraceStep | null)[] = [null];
  for (let head = 0; head < states.length; head++) {
    if (!budget.ok('first divergence', states.length)) return { divergence: null, complete: false };
    const s = states[head]!;
    if (breaksAny(a, s)) continue;
    for (const e of a.events(s)) {
      const ra = a.apply(s, e);
      const rb = b.apply(s, e);
      const na = successor(ra);
      const nb = successor(rb);
      const ka = keyOrNull(na);
      if (ra.ok !== rb.ok || ka !== keyOrNull(nb)) {
        const prefix: TraceStep[] = [];
        for (let cur = head; parent[cur]! >= 0; cur = parent[cur]!) prefix.push(via[cur]!);
        prefix.reverse();
        return {
          divergence: {
            prefix,
            from: s,
            event: e,
            a: { errno: ra.ok ? null : ra.errno, state: na },
            b: { errno: rb.ok ? null : rb.errno, state: nb },
            kind: ra.ok !== rb.ok ? 'ok-vs-error' : 'different-state',
          },
          complete: true,
        };
      }
      if (na === null || index.has(ka!)) continue;
      index.set(ka!, states.length);
      states.push(na);
      parent.push(head);
      via.push({ event: e, errno: ra.ok ? null : ra.errno, state: na });
    }
  }
  return { divergence: null, complete: true };
}

/**
 * Compares one scenario under two variants, or (diff --grouping-b) one machine grouped by two
 * rules: then the two models start from different states and only invariants, counts and
 * example states are compared.
 */
export function diffModels(a: Model, b: Model, options: DiffOptions = {}): ScenarioDiff {
  const budget = new Budget(options);
  const nExamples = options.examples ?? 3;
  // The verdicts come from the packed engine, under what is left of the budget.
  const verdict = (m: Model) =>
    exploreFast(m, {
      maxStates: budget.maxStates,
      maxSeconds: options.maxSeconds === undefined ? undefined : Math.max(1e-3, options.maxSeconds - budget.seconds()),
      maxMemory: options.maxMemory,
      memoryBytes: options.memoryBytes,
      onProgress: options.onProgress && ((p) => options.onProgress!(`verdict of ${m.variant.name}`, p.states, budget.seconds())),
    });
  const resA = verdict(a);
  const resB = verdict(b);
  budget.cut ??= resA.bound ?? resB.bound;
  const invA = resA.violations.map((v) => v.invariant);
  const invB = resB.violations.map((v) => v.invariant);
  const ra = reach(a, budget);
  const rb = reach(b, budget);
  const sameStart = canonicalKey(a.init) === canonicalKey(b.init);
  const { divergence, complete: divComplete } = sameStart ? firstDivergence(a, b, budget) : { divergence: null, complete: true };

  const side = (m: Model, res: ExplorationResult, mine: Reach, theirs: Reach, other: Model, myInv: string[], theirInv: string[]): SideDiff => {
    const only: number[] = [];
    mine.keys.forEach((k, i) => {
      if (!theirs.index.has(k)) only.push(i);
    });
    let witness: Witness | null = null;
    if (only.length > 0 && sameStart) {
      const steps = pathTo(m, mine, only[0]!);
      witness = { steps, other: replayOn(other, steps.map((s) => s.event)) };
    }
    const examples = only.slice(0, nExamples).map((i) => mine.states[i]!);
    return {
      variant: m.variant.name,
      result: res,
      states: mine.keys.length,
      onlyInvariants: myInv.filter((i) => !theirInv.includes(i)),
      onlyStates: only.length,
      examples,
      nearest: examples.map((s) => nearestState(s, theirs.states)),
      witness,
    };
  };
  const sa = side(a, resA, ra, rb, b, invA, invB);
  const sb = side(b, resB, rb, ra, a, invB, invA);
  const commonStates = ra.keys.filter((k) => rb.index.has(k)).length;
  const complete = ra.complete && rb.complete && divComplete && resA.bound === null && resB.bound === null;
  return {
    scenario: a.scenario.name,
    a: sa,
    b: sb,
    commonStates,
    divergence,
    complete,
    bound: complete ? null : budget.cut,
    sameStart,
    identical: sameStart && !divergence && sa.onlyInvariants.length === 0 && sb.onlyInvariants.length === 0 && sa.onlyStates === 0 && sb.onlyStates === 0,
  };
}
