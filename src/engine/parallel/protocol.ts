/**
 * The shared memory between the exploring thread and one visited-set shard (./shard.ts), for
 * `--workers N` (./shardedVisited.ts). All of it is SharedArrayBuffers; no message is posted
 * after start-up.
 *
 * - `req`: a ring of `capacity` entries (CAPACITY unless a test asks for fewer), each a
 *   successor's packed code, as many words as the current layout has (PackedStore
 *   layout; the shard hashes it). The explorer writes entries and publishes them by advancing TAIL.
 * - `res`: one byte per ring entry, written by the shard: 1 when the entry was new to the set.
 *   The shard publishes them by advancing DONE.
 * - `ctl`: the control words below. Counters run modulo 2^32 (Int32 wrap-around, compared by
 *   difference); ring positions are counter & (capacity - 1).
 * - `stats`: the shard's stored states and bytes (Float64), written when it acknowledges a command.
 * - `error`: the text of an error that stopped the shard (UTF-8, ERROR says its length).
 */

/**
 * Entries per ring (a power of two): enough for the explorer to go on expanding for a while when
 * its shard stops to double its hash table (a few hundred milliseconds in a large run).
 */
export const CAPACITY = 1 << 20;

/**
 * ctl word indices, each word on a 64-byte cache line of its own: a word one thread polls
 * does not share a line with one the other thread writes.
 */
const LINE = 16;
export const TAIL = 0 * LINE; // entries published by the explorer
export const DONE = 1 * LINE; // entries answered by the shard
export const WAKE = 2 * LINE; // bumped by the explorer after publishing or commanding: the shard waits on it
export const SHARD_WAITING = 3 * LINE; // the shard is (about to be) waiting on WAKE
export const MAIN_WAITING = 4 * LINE; // the explorer is (about to be) waiting on DONE or ACK
export const CMD = 5 * LINE; // a command for the shard (below), 0 when none
export const ARG_G = 6 * LINE; // widen: the largest global id
export const ARG_D = 7 * LINE; // widen: the largest device-tuple id
export const ACK = 8 * LINE; // bumped by the shard when it has carried a command out (and when it started)
export const ERROR = 9 * LINE; // length of the error text, 0 while none
export const CTL_WORDS = 10 * LINE;

/** Empty looks at a shared word before a thread sleeps on it (tens of microseconds). */
export const SPIN = 20_000;

/** Commands. */
export const CMD_WIDEN = 1;
export const CMD_STOP = 2;

export const ERROR_BYTES = 2048;

/** What a shard's worker gets as workerData. */
export interface ShardData {
  k: number;
  /** Entries per ring (a power of two). */
  capacity: number;
  maxGlobal: number;
  maxDevice: number;
  fingerprints: boolean;
  ctl: SharedArrayBuffer;
  req: SharedArrayBuffer;
  res: SharedArrayBuffer;
  stats: SharedArrayBuffer;
  error: SharedArrayBuffer;
  /** ERROR's index in ctl, for shardWorker.mjs, which reports a failure to load before it can import this file. */
  errorWord: number;
}

/** Allocates the shared memory of one shard. */
export function shardMemory(k: number, maxGlobal: number, maxDevice: number, fingerprints: boolean, capacity = CAPACITY): ShardData {
  if (!Number.isInteger(Math.log2(capacity))) throw new Error(`shardMemory: capacity must be a power of two, got ${capacity}`);
  return {
    k,
    capacity,
    maxGlobal,
    maxDevice,
    fingerprints,
    ctl: new SharedArrayBuffer(CTL_WORDS * 4),
    // Sized for the widest layout (k words); only the current layout's words are touched.
    req: new SharedArrayBuffer(capacity * k * 4),
    res: new SharedArrayBuffer(capacity),
    stats: new SharedArrayBuffer(24),
    error: new SharedArrayBuffer(ERROR_BYTES),
    errorWord: ERROR,
  };
}
