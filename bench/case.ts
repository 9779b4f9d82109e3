/**
 * One bench measurement: a runner (the packed engine in one of its modes, explore(), or
 * xstate/graph) on the scaling model with N devices and C contexts. bench/run.ts runs each one
 * in a worker thread of its own (bench/caseWorker.mjs), so that no measurement inherits the
 * JIT feedback or the heap of the one before: a run of the engine after runs of other sizes or
 * of the fingerprint store was measured up to 30% slower, its hot call sites having seen several
 * models and both visited sets, which is not what `iommu-mc check` sees in CI.
 *
 * In that isolate the engine and explore() first make WARM_UP_RUNS warm-up runs over the same
 * model, each cut at WARM_UP_STATES states, and the run measured is the next one, on a model
 * built afresh: the JIT has compiled the hot loop, while every cache the engine fills (intern
 * tables, the model's cached calls, the visited set) is made per run and starts empty. One
 * warm-up run is not enough for the JIT to settle: in the run after it, V8 still deoptimizes
 * and recompiles about 130 functions (--trace-deopt: mostly "wrong map", fields whose
 * representation the first run generalized), and N=6 with two contexts took 250-270 ms there
 * against 160-180 ms in the runs after (tsc-compiled, same process). The graph is measured
 * cold: its runs take seconds to minutes, which dwarfs its compilation.
 */
import { explore } from '../src/engine/explore.ts';
import { exploreFast } from '../src/engine/packed/exploreFast.ts';
import { canonicalKey } from '../src/engine/serialize.ts';
import { enumerateEvents } from '../src/machines/enumerate.ts';
import { eventKey, type IommuEvent } from '../src/machines/events.ts';
import { buildModel } from '../src/machines/model.ts';
import type { SystemState } from '../src/machines/state.ts';
import { currentVariant } from '../src/machines/variants/index.ts';
import { scalingScenario } from './scaling.ts';
import { caseScenario, type CaseModel } from './translation.ts';

/** States of each warm-up run (explore(), twenty times slower, a tenth of them). */
export const WARM_UP_STATES = 100_000;
/** Warm-up runs before the measured one (see above). */
export const WARM_UP_RUNS = 3;

/** fast: exact, one thread; fp: fingerprints; par: exact on two threads (--workers 2); sym: symmetry reduction. */
export type Runner = 'fast' | 'fp' | 'par' | 'sym' | 'ref' | 'graph';
export type Contexts = 1 | 2 | 3;

export interface CaseSpec {
  runner: Runner;
  devices: number;
  contexts: Contexts;
  /** Runs are cut short (and marked incomplete) after this many seconds. */
  maxSeconds: number;
  /** What to explore (bench/translation.ts); the scaling model of `devices` x `contexts` when omitted. */
  model?: CaseModel;
  /** States of each warm-up run (default WARM_UP_STATES). */
  warmUpStates?: number;
}

export interface Run {
  distinctStates: number;
  transitions: number;
  seconds: number;
  statesPerSecond: number;
  transitionsPerSecond: number;
  bytesPerState: number | null;
  /** (state, call) pairs tried, failed calls included; null where the runner does not count them. */
  enabledCalls: number | null;
  complete: boolean;
}

interface Raw {
  distinctStates: number;
  transitions: number;
  seconds: number;
  complete: boolean;
  bytesPerState?: number;
  enabledCalls?: number;
}

/** Runs one case; null when the graph column is asked for and src/machines/system.ts is not there. */
export async function runCase(spec: CaseSpec): Promise<Run | null> {
  // A new scenario object per run: nothing keyed by it (enumerate.ts's block cache) carries over.
  const model = () => buildModel(caseScenario(spec), currentVariant);
  const fast = (opts: { symmetry: boolean; fingerprints?: boolean; workers?: number }): Raw => {
    for (let i = 0; i < WARM_UP_RUNS; i++) exploreFast(model(), { ...opts, maxStates: spec.warmUpStates ?? WARM_UP_STATES });
    const r = exploreFast(model(), { ...opts, maxSeconds: spec.maxSeconds });
    const enabledCalls = Object.values(r.coverage).reduce((a, c) => a + c.enabled, 0);
    return { ...r, complete: r.bound === null, bytesPerState: r.fast.bytesPerState, enabledCalls };
  };
  let r: Raw;
  switch (spec.runner) {
    case 'fast':
      r = fast({ symmetry: false });
      break;
    case 'fp':
      r = fast({ symmetry: false, fingerprints: true });
      break;
    case 'par':
      r = fast({ symmetry: false, workers: 2 });
      break;
    case 'sym':
      r = fast({ symmetry: true });
      break;
    case 'ref': {
      for (let i = 0; i < WARM_UP_RUNS; i++) explore(model(), { maxStates: WARM_UP_STATES / 10 });
      const e = explore(model(), { maxSeconds: spec.maxSeconds });
      r = { ...e, complete: e.bound === null };
      break;
    }
    case 'graph': {
      const g = await graphRun(spec.devices, spec.contexts);
      if (g === null) return null;
      r = g;
      break;
    }
  }
  return {
    distinctStates: r.distinctStates,
    transitions: r.transitions,
    seconds: r.seconds,
    statesPerSecond: r.distinctStates / Math.max(r.seconds, 1e-9),
    transitionsPerSecond: r.transitions / Math.max(r.seconds, 1e-9),
    bytesPerState: r.bytesPerState ?? null,
    enabledCalls: r.enabledCalls ?? null,
    complete: r.complete,
  };
}

/** xstate/graph getAdjacencyMap over createSystemMachine, or null when src/machines/system.ts is not there. */
async function graphRun(devices: number, contexts: Contexts): Promise<Raw | null> {
  const systemPath = '../src/machines/system.ts';
  let system: { createSystemMachine: (s: unknown, v: unknown) => unknown };
  try {
    system = await import(systemPath);
  } catch {
    return null;
  }
  const { getAdjacencyMap } = await import('xstate/graph');
  const scenario = scalingScenario(devices, contexts);
  const machine = system.createSystemMachine(scenario, currentVariant);
  const t0 = performance.now();
  const adj = getAdjacencyMap(machine as never, {
    events: (s: { context: SystemState }) => enumerateEvents(scenario, s.context),
    serializeState: (s: { context: SystemState }) => canonicalKey(s.context),
    serializeEvent: (e: IommuEvent) => eventKey(e),
    limit: Number.MAX_SAFE_INTEGER,
  } as never) as unknown as Record<string, { state: unknown; transitions: Record<string, { state: unknown }> }>;
  const seconds = (performance.now() - t0) / 1000;
  // Counted after the clock stops. The map has an entry per enabled call; XState took a
  // transition only where the call succeeded: a failed call enables none and transition()
  // returns the very snapshot it was given. Those taken are the engine's transitions.
  let transitions = 0;
  let enabledCalls = 0;
  for (const k in adj) {
    const node = adj[k]!;
    for (const t of Object.values(node.transitions)) {
      enabledCalls++;
      if (t.state !== node.state) transitions++;
    }
  }
  return { distinctStates: Object.keys(adj).length, transitions, enabledCalls, seconds, complete: true };
}
