/**
 * exploreFast's options beyond explore()'s, and the statistics it adds to the result.
 */
import type { ExplorationResult, ExploreOptions } from '../types.ts';

export interface ExploreFastOptions extends ExploreOptions {
  /**
   * Symmetry reduction over interchangeable devices: 'declared' reduces the classes the scenario
   * declares (Scenario.symmetry; runJob's default), true every class the engine finds, false
   * (the default here) none. Counts are then of orbit representatives; verdicts stay the same.
   */
  symmetry?: boolean | 'declared';
  /** Stop (bound `max-memory`) once `memoryBytes()` exceeds this many bytes. @default Infinity */
  maxMemory?: number;
  /** The process's memory in use, in bytes (the engine does no I/O: the caller measures). */
  memoryBytes?: () => number;
  /**
   * Keep 64-bit fingerprints of the states in the visited set instead of comparing their codes
   * (./fingerprintStore.ts): faster lookups, sound only up to FastStats.collisionProbability.
   * @default false
   */
  fingerprints?: boolean;
  /**
   * Threads: 1 (the default) explores in the calling thread; N > 1 splits the visited set over
   * N - 1 worker threads (../parallel/shardedVisited.ts) while the calling thread expands, once
   * the run has PARALLEL_FROM states (below that, starting threads costs more than they save).
   * The verdicts, counts, coverage and counterexamples are those of the single-threaded run.
   */
  workers?: number;
  /** States before the `workers` threads start. @default PARALLEL_FROM */
  parallelFrom?: number;
  /**
   * Cache event blocks and calls by the places of the global part they read (./blockCache.ts):
   * pays where most calls change the global part (the translation path: every DMA, flush and
   * reuse changes the group's translation state), costs a little elsewhere (the runs that learn
   * the places go through proxies). @default translationEnabled(scenario): a scenario with a DMA actor
   */
  projectedBlocks?: boolean;
}

/** What exploreFast adds to ExplorationResult. */
export interface FastStats {
  /** Symmetry reduction was applied (some device class had two or more slots). */
  symmetry: boolean;
  /** Bytes per stored state: packed codes, hash table and parent ids, as allocated. */
  bytesPerState: number;
  /** Components per state code (1 + devices) and 32-bit words per packed code. */
  codeElements: number;
  codeWords: number;
  /** Threads the run ended with: 1, or the `workers` asked for once the run grew past PARALLEL_FROM states. */
  threads: number;
  /** Distinct calls met (the event universe). */
  events: number;
  /**
   * With fingerprints: at most the probability that two distinct states shared a fingerprint
   * (and states went unexplored); null when codes were compared exactly.
   */
  collisionProbability: number | null;
}

/** States a run has before `workers` threads are started. */
export const PARALLEL_FROM = 1 << 18;

export type FastExplorationResult = ExplorationResult & { fast: FastStats };
