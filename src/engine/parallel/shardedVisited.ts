/**
 * The visited set split over worker threads, for exploreFast's `workers` option: each of
 * `shards` workers (./shard.ts) holds the states whose hash falls to it, while the exploring
 * thread expands states, packs their successors, and numbers the new ones.
 *
 * Determinism: the explorer consumes the answers in the order it made the requests, whatever
 * shard each went to, so new states get the ids, parents, checks and counterexamples the
 * single-threaded engine gives them; only when the answers arrive differs. A shard's ring entry
 * is overwritten only after its answer was consumed, so the code stays readable until then.
 *
 * The exploring thread blocks (Atomics.wait, allowed in Node's main thread) only when it needs an
 * answer that is not there: a full ring, a widening, the end of a BFS layer or of the queue.
 */
import { Worker } from 'node:worker_threads';
import type { Layout } from '../packed/packedStore.ts';
import { ACK, ARG_D, ARG_G, CAPACITY, CMD, CMD_STOP, CMD_WIDEN, DONE, ERROR, MAIN_WAITING, SHARD_WAITING, SPIN, TAIL, WAKE, shardMemory, type ShardData } from './protocol.ts';

/** How long a shard may take to start, in ms (it loads the engine's modules). */
const START_TIMEOUT_MS = 120_000;
/** How long close() waits for a shard's last statistics, in ms. */
const STOP_TIMEOUT_MS = 10_000;
/** Requests a shard gets at once, unless the explorer needs its answers sooner. */
const PUBLISH_MIN = 1024;

/** Called per answer, in request order: the code at code[at ..] was new; false stops consuming. */
export type OnAnswer = (isNew: boolean, code: Uint32Array, at: number, parent: number, depth: number) => boolean;

export class ShardedVisited {
  private readonly mem: ShardData[];
  private readonly ctl: Int32Array[];
  private readonly req: Uint32Array[];
  private readonly res: Uint8Array[];
  private readonly stats: Float64Array[];
  private readonly workers: Worker[];
  /** Per shard: entries written, published (TAIL), answered as last seen (DONE), consumed. */
  private readonly written: Int32Array;
  private readonly published: Int32Array;
  private readonly seen: Int32Array;
  private readonly consumed: Int32Array;
  /** Requests in order, not yet consumed: shard, parent id and parent depth of each. */
  private readonly fifoShard: Uint8Array;
  private readonly fifoParent: Int32Array;
  private readonly fifoDepth: Int32Array;
  private readonly fifoMask: number;
  /** Requests made and consumed, counted modulo 2^32 (Int32 wrap-around). */
  private head = 0;
  private tail = 0;
  private stopped = false;

  constructor(
    readonly shards: number,
    /** The packed layout of the codes requested (PackedStore.layout); widen() gives the next. */
    private layout: Layout,
    fingerprints: boolean,
    /**
     * Entries per shard's ring (a power of two; tests make it small to wrap it). By default
     * CAPACITY shared out among the shards, at least 2^14 each.
     */
    private readonly capacity = Math.max(1 << 14, CAPACITY >>> Math.ceil(Math.log2(shards))),
    /** The module a worker runs, relative to ./shardWorker.mjs (tests name a missing one to see a failure to load reported). */
    entry = './shard.ts',
  ) {
    const k = layout.k;
    const [maxGlobal, maxDevice] = [layout.mask[0]!, layout.mask[Math.min(1, k - 1)]!];
    if (!Number.isInteger(shards) || shards < 1 || shards > 255) throw new Error(`ShardedVisited: shards must be an integer in 1..255, got ${shards}`);
    this.mem = Array.from({ length: shards }, () => shardMemory(k, maxGlobal, maxDevice, fingerprints, capacity));
    this.ctl = this.mem.map((m) => new Int32Array(m.ctl));
    this.req = this.mem.map((m) => new Uint32Array(m.req));
    this.res = this.mem.map((m) => new Uint8Array(m.res));
    this.stats = this.mem.map((m) => new Float64Array(m.stats));
    this.written = new Int32Array(shards);
    this.published = new Int32Array(shards);
    this.seen = new Int32Array(shards);
    this.consumed = new Int32Array(shards);
    // Room for every request the rings hold (at most `capacity` per shard), rounded up to a power of two.
    const fifo = 2 ** Math.ceil(Math.log2(shards * capacity));
    this.fifoMask = fifo - 1;
    this.fifoShard = new Uint8Array(fifo);
    this.fifoParent = new Int32Array(fifo);
    this.fifoDepth = new Int32Array(fifo);
    this.workers = this.mem.map((m) => {
      const w = new Worker(new URL('./shardWorker.mjs', import.meta.url), { workerData: { ...m, entry } });
      w.unref();
      return w;
    });
    for (let s = 0; s < shards; s++) this.awaitAck(s, 0, START_TIMEOUT_MS);
  }

  /** Requests not consumed yet. */
  get pending(): number {
    return (this.tail - this.head) | 0;
  }

  /**
   * The shard of the packed code a[at ..): a hash of its components, not of its words, so that a
   * state stays in its shard when widen() changes the layout; and a hash of its own (the shard
   * hashes the code again for its table, which must not see only codes alike in this one's bits).
   */
  private shardOf(a: Uint32Array, at: number): number {
    if (this.shards === 1) return 0;
    const L = this.layout;
    let x = 0x811c9dc5;
    for (let c = 0; c < L.k; c++) x = Math.imul(x ^ ((a[at + L.word[c]!]! >>> L.shift[c]!) & L.mask[c]!), 0x01000193);
    x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0;
    return ((x * this.shards) / 4294967296) >>> 0;
  }

  /**
   * Requests the lookup of the packed code a[at .. at + words), successor of state `parent` at
   * depth `depth`. May consume answers (through `each`) to make room; false when `each` stopped.
   */
  request(a: Uint32Array, at: number, words: number, parent: number, depth: number, each: OnAnswer): boolean {
    const s = this.shardOf(a, at);
    while (((this.written[s]! - this.consumed[s]!) | 0) === this.capacity) if (!this.consumeOne(each)) return false;
    const ring = this.req[s]!;
    const p = (this.written[s]! & (this.capacity - 1)) * this.layout.words;
    for (let w = 0; w < words; w++) ring[p + w] = a[at + w]!;
    this.written[s] = (this.written[s]! + 1) | 0;
    const f = this.tail & this.fifoMask;
    this.tail = (this.tail + 1) | 0;
    this.fifoShard[f] = s;
    this.fifoParent[f] = parent;
    this.fifoDepth[f] = depth;
    return true;
  }

  /**
   * Makes the requests written so far visible to the shards, waking those that wait; unless
   * `all`, only for shards with PUBLISH_MIN or more (waking a shard costs a system call).
   */
  publish(all = true): void {
    for (let s = 0; s < this.shards; s++) {
      const n = (this.written[s]! - this.published[s]!) | 0;
      if (n === 0 || (!all && n < PUBLISH_MIN)) continue;
      const ctl = this.ctl[s]!;
      Atomics.store(ctl, TAIL, (this.published[s] = this.written[s]!));
      this.wake(s);
    }
  }

  private wake(s: number): void {
    const ctl = this.ctl[s]!;
    Atomics.add(ctl, WAKE, 1);
    if (Atomics.load(ctl, SHARD_WAITING) !== 0) Atomics.notify(ctl, WAKE);
  }

  /** Consumes the answers already there, in order (no waiting); false when `each` stopped. */
  consumeReady(each: OnAnswer): boolean {
    while (this.head !== this.tail) {
      const s = this.fifoShard[this.head & this.fifoMask]!;
      if (this.consumed[s] === this.seen[s] && this.consumed[s] === (this.seen[s] = Atomics.load(this.ctl[s]!, DONE))) return true;
      if (!this.consumeOne(each)) return false;
    }
    return true;
  }

  /** Consumes every pending answer, waiting for them; false when `each` stopped. */
  drain(each: OnAnswer): boolean {
    this.publish();
    while (this.head !== this.tail) if (!this.consumeOne(each)) return false;
    return true;
  }

  /** Consumes the oldest request's answer, waiting for it if need be. */
  private consumeOne(each: OnAnswer): boolean {
    const f = this.head & this.fifoMask;
    const s = this.fifoShard[f]!;
    const c = this.consumed[s]!;
    if (c === this.seen[s]) {
      this.publish();
      this.seen[s] = this.awaitChange(s, DONE, c, Number.POSITIVE_INFINITY);
    }
    const p = c & (this.capacity - 1);
    this.consumed[s] = (c + 1) | 0;
    this.head = (this.head + 1) | 0;
    return each(this.res[s]![p] === 1, this.req[s]!, p * this.layout.words, this.fifoParent[f]!, this.fifoDepth[f]!);
  }

  /** Waits until ctl[i] of shard s differs from `from`; returns its new value. */
  private awaitChange(s: number, i: number, from: number, timeoutMs: number): number {
    const ctl = this.ctl[s]!;
    const t0 = performance.now();
    Atomics.store(ctl, MAIN_WAITING, 1);
    try {
      for (let spin = 0; ; spin++) {
        const v = Atomics.load(ctl, i);
        if (v !== from) return v;
        if (spin < SPIN) continue;
        this.checkError(s);
        if (performance.now() - t0 > timeoutMs) throw new Error(`exploreFast: visited-set worker ${s} did not answer within ${timeoutMs / 1000} s`);
        Atomics.wait(ctl, i, from, 200);
      }
    } finally {
      Atomics.store(ctl, MAIN_WAITING, 0);
    }
  }

  private awaitAck(s: number, from: number, timeoutMs = Number.POSITIVE_INFINITY): void {
    this.awaitChange(s, ACK, from, timeoutMs);
  }

  private checkError(s: number): void {
    const n = Atomics.load(this.ctl[s]!, ERROR);
    if (n === 0 || this.stopped) return;
    const text = new TextDecoder().decode(new Uint8Array(this.mem[s]!.error).slice(0, n));
    this.close();
    throw new Error(`exploreFast: visited-set worker ${s} failed: ${text}`);
  }

  /** Runs command `cmd` on every shard and waits for all of them. Needs no pending request. */
  private command(cmd: number, g = 0, d = 0): void {
    const acks = this.ctl.map((ctl) => Atomics.load(ctl, ACK));
    for (let s = 0; s < this.shards; s++) {
      const ctl = this.ctl[s]!;
      Atomics.store(ctl, ARG_G, g);
      Atomics.store(ctl, ARG_D, d);
      Atomics.store(ctl, CMD, cmd);
      this.wake(s);
    }
    for (let s = 0; s < this.shards; s++) this.awaitAck(s, acks[s]!);
  }

  /**
   * Widens every shard's layout to `layout` (PackedStore.widen, after the explorer's store
   * widened to it); every request must have been consumed.
   */
  widen(layout: Layout): void {
    if (this.pending !== 0) throw new Error('ShardedVisited.widen: requests are pending');
    this.layout = layout;
    this.command(CMD_WIDEN, layout.mask[0]!, layout.mask[Math.min(1, layout.k - 1)]!);
  }

  /** Stops the workers, after their last statistics (idempotent). Pending requests are dropped. */
  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    const live = this.ctl.map((ctl) => Atomics.load(ctl, ERROR) === 0);
    const acks = this.ctl.map((ctl) => Atomics.load(ctl, ACK));
    this.ctl.forEach((ctl, s) => {
      if (!live[s]) return;
      Atomics.store(ctl, CMD, CMD_STOP);
      this.wake(s);
    });
    try {
      this.ctl.forEach((_, s) => live[s] && this.awaitAck(s, acks[s]!, STOP_TIMEOUT_MS));
    } catch {
      // A shard that does not stop in time is terminated below all the same.
    }
    for (const w of this.workers) void w.terminate();
  }

  /** Bytes: the shards' stores (as of their last command), their rings, and the request queue. */
  bytes(): number {
    // A ring's pages are touched as far as the widest layout used (the current one) reaches.
    const fifo = this.fifoShard.byteLength + this.fifoParent.byteLength + this.fifoDepth.byteLength;
    return this.mem.reduce((n, m, s) => n + this.stats[s]![1]! + this.capacity * this.layout.words * 4 + m.res.byteLength, fifo);
  }
  /** States the shards hold, as of their last command. */
  stored(): number {
    return this.stats.reduce((n, st) => n + st[0]!, 0);
  }
}
