/**
 * One visited-set shard, run in a worker thread (./shardWorker.mjs): a PackedStore (or a
 * FingerprintStore) of the states whose hash falls to it, answering "new or seen" for each code
 * the explorer publishes in its ring (./protocol.ts), in order. It keeps no ids: the explorer
 * numbers the new states itself, in the order of its requests, which is the order the
 * single-threaded engine looks them up in.
 */
import { FingerprintStore } from '../packed/fingerprintStore.ts';
import { PackedStore } from '../packed/packedStore.ts';
import { ACK, ARG_D, ARG_G, CMD, CMD_STOP, CMD_WIDEN, DONE, ERROR, ERROR_BYTES, MAIN_WAITING, SHARD_WAITING, SPIN, TAIL, WAKE, type ShardData } from './protocol.ts';

/** Answers are published every this many entries, so that the explorer need not wait for a whole ring. */
const PUBLISH_EVERY = 256;


export function runShard(d: ShardData): void {
  const ctl = new Int32Array(d.ctl);
  try {
    serve(d, ctl);
  } catch (e) {
    const text = new TextEncoder().encode(e instanceof Error ? (e.stack ?? e.message) : String(e)).subarray(0, ERROR_BYTES);
    new Uint8Array(d.error).set(text);
    Atomics.store(ctl, ERROR, Math.max(1, text.length));
    Atomics.notify(ctl, DONE);
    Atomics.notify(ctl, ACK);
  }
}

function serve(d: ShardData, ctl: Int32Array): void {
  const req = new Uint32Array(d.req);
  const res = new Uint8Array(d.res);
  const stats = new Float64Array(d.stats); // [stored, bytes, touch()'s observable sink]
  const store = new (d.fingerprints ? FingerprintStore : PackedStore)(d.k, d.maxGlobal, d.maxDevice);
  // Entries are as long as the layout's codes (the rings are empty whenever it widens).
  let stride = store.words;
  const capacity = d.capacity;
  const mask = capacity - 1;
  const acknowledge = () => {
    stats[0] = store.count;
    stats[1] = store.bytes();
    Atomics.add(ctl, ACK, 1);
    Atomics.notify(ctl, ACK);
  };
  const publish = (done: number) => {
    Atomics.store(ctl, DONE, done);
    if (Atomics.load(ctl, MAIN_WAITING) !== 0) Atomics.notify(ctl, DONE);
  };
  acknowledge(); // started
  let done = 0;
  let idle = 0;
  const hashes = new Uint32Array(PUBLISH_EVERY);
  let sink = 0;
  for (;;) {
    const tail = Atomics.load(ctl, TAIL);
    if (tail !== done) {
      idle = 0;
      while (done !== tail) {
        // A run of entries not crossing the ring's end: touched first (see SuccessorBatch).
        const n = Math.min((tail - done) | 0, PUBLISH_EVERY, capacity - (done & mask));
        for (let i = 0; i < n; i++) hashes[i] = store.hash(req, ((done + i) & mask) * stride);
        sink ^= store.touch(hashes, n);
        for (let i = 0; i < n; i++) {
          const p = (done + i) & mask;
          const at = p * stride;
          res[p] = store.findOrAddAt(req, at, hashes[i]!) < 0 ? 1 : 0;
        }
        done = (done + n) | 0;
        publish(done);
      }
      continue;
    }
    const cmd = Atomics.load(ctl, CMD);
    if (cmd !== 0) {
      if (cmd === CMD_WIDEN) {
        store.widen(Atomics.load(ctl, ARG_G), Atomics.load(ctl, ARG_D));
        stride = store.words;
      }
      Atomics.store(ctl, CMD, 0);
      acknowledge();
      if (cmd === CMD_STOP) return void (stats[2] = sink);
      continue;
    }
    // Nothing to do: look again for a while (the explorer publishes every PUBLISH_MIN requests),
    // then wait for it (see ShardedVisited.wake for the other half).
    if (++idle < SPIN) continue;
    idle = 0;
    const wake = Atomics.load(ctl, WAKE);
    Atomics.store(ctl, SHARD_WAITING, 1);
    if (Atomics.load(ctl, TAIL) === done && Atomics.load(ctl, CMD) === 0) Atomics.wait(ctl, WAKE, wake);
    Atomics.store(ctl, SHARD_WAITING, 0);
  }
}
