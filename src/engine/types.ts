/** Engine options, results and traces. */
import type { Errno } from '../kernel/errno.ts';
import type { IommuEvent } from '../machines/events.ts';
import type { SystemState } from '../machines/state.ts';

/** What callers pass; everything optional. */
export interface ExploreOptions {
  /** Stop (status `incomplete`) after this many distinct states. @default Infinity */
  maxStates?: number;
  /** Stop (status `incomplete`) after this many seconds. @default Infinity */
  maxSeconds?: number;
  /** Called about every `progressEvery` states with the running statistics. */
  onProgress?: (p: Progress) => void;
  /** @default 20000 */
  progressEvery?: number;
  /** Invariant ids to check (all when omitted). */
  invariants?: readonly string[];
}

/** The resolved options. */
export interface ExploreConfig {
  maxStates: number;
  maxSeconds: number;
  onProgress: ((p: Progress) => void) | null;
  progressEvery: number;
  invariants: readonly string[] | null;
}

export interface Progress {
  states: number;
  transitions: number;
  queue: number;
  depth: number;
  seconds: number;
}

/** One step of a trace: the call, its outcome and the state after it. */
export interface TraceStep {
  event: IommuEvent;
  /** null for success, else the errno the call returned (its error path changed the state). */
  errno: Errno | null;
  state: SystemState;
}

/** A counterexample: from the initial state to the first state (or step) that breaks an invariant. */
export interface Violation {
  invariant: string;
  reason: string;
  /** `state`: the last state breaks it; `step`: the last call breaks it; `recoverability`: the last state cannot return to rest (src/engine/recoverability.ts). */
  kind: 'state' | 'step' | 'recoverability';
  init: SystemState;
  steps: TraceStep[];
}

/** How often each kernel call was enabled, succeeded, failed with which errno. */
export interface EventCoverage {
  enabled: number;
  ok: number;
  changed: number;
  errnos: Partial<Record<Errno, number>>;
}

export type Status = 'holds' | 'violated' | 'incomplete';

export interface ExplorationResult {
  status: Status;
  /** Why exploration stopped early, or null when it finished. */
  bound: 'max-states' | 'max-seconds' | 'max-memory' | null;
  distinctStates: number;
  transitions: number;
  depth: number;
  seconds: number;
  violations: Violation[];
  coverage: Record<string, EventCoverage>;
}
