/**
 * The packed exploration engine: the same breadth-first search as explore() (same order, same
 * bounds, same counts, same shortest deterministic counterexamples, same coverage), over packed
 * state codes instead of full snapshots, with the model's functions cached per component value.
 *
 * - A state is a code (./codec.ts: a global id and one device-tuple id per slot), bit-packed in
 *   the visited set (./packedStore.ts); per state only its parent id is kept besides. With
 *   `fingerprints` the table holds 64-bit fingerprints instead of ids (./fingerprintStore.ts).
 * - Expanding a state does not rebuild it: its calls come from the event blocks, each cached per
 *   the components it read, and each call's result (outcome, writes to the code, the step
 *   invariants it breaks) is cached the same way (./memoModel.ts). On a cache miss the semantic
 *   function runs on a recording view of the state: it stays the only source of successors.
 *   A call that has missed 32 times and on more than a quarter of its calls (it reads nearly
 *   the whole state) runs directly on the decoded state from then on: the same result, without
 *   the cache.
 * - Those results are gathered per device slot (./slotCalls.ts): the blocks about slot j and
 *   their calls' results, for every state with the same global id and slot-j tuple, laid out in
 *   one Int32Array, made by running them on the state confined to slot j (./confined.ts).
 *   Expanding a state is then one lookup per slot and a walk over that array; a block whose
 *   results read other slots is expanded through the caches per state.
 * - Successors are looked up in the visited set in batches (./successorBatch.ts), in order.
 * - A new state's state invariants are their scans (src/invariants/deviceScan.ts), one cached
 *   step per device slot (./scanCache.ts).
 * - Traces are rebuilt by replaying model.apply from the initial state (./replay.ts).
 * - Optional symmetry reduction over interchangeable devices (./symmetry.ts).
 * - Optional worker threads holding the visited set (`workers`, ../parallel/shardedVisited.ts):
 *   the new states still get their ids here, in the order of the lookups, so the results are
 *   the single-threaded ones.
 *
 * Pure: no I/O (worker threads, when asked for, share memory and load the engine's own modules).
 * Time is read only to honour maxSeconds and report speed; memory only through
 * the caller's `memoryBytes` callback.
 */
import { INVARIANTS } from '../../invariants/index.ts';
import type { Model } from '../../machines/model.ts';
import { resolveExploreOptions } from '../resolveOptions.ts';
import type { ExplorationResult } from '../types.ts';
import { StateCodec } from './codec.ts';
import { ChunkedInt32 } from './chunkedInt32.ts';
import { CallCounters } from './coverage.ts';
import { MemoModel, type CallLeaf } from './memoModel.ts';
import { collisionProbability, FingerprintStore } from './fingerprintStore.ts';
import { PackedStore } from './packedStore.ts';
import { ShardedVisited, type OnAnswer } from '../parallel/shardedVisited.ts';
import { GENERIC, OP_HEAD, SlotCalls } from './slotCalls.ts';
import { SharedEntries } from './sharedEntries.ts';
import { SuccessorBatch } from './successorBatch.ts';
import { counterexamples, type Found } from './replay.ts';
import { PARALLEL_FROM, type ExploreFastOptions, type FastExplorationResult } from './fastOptions.ts';
import { declaredSymmetryClasses, DeviceSymmetry, deviceSymmetryClasses } from './symmetry.ts';
import { translationEnabled } from '../../machines/scenario.ts';

export { PARALLEL_FROM, type ExploreFastOptions, type FastExplorationResult, type FastStats } from './fastOptions.ts';

/** Explores `model` exhaustively (or up to the bounds in `options`), like explore(). */
export function exploreFast(model: Model, options: ExploreFastOptions = {}): FastExplorationResult {
  const cfg = resolveExploreOptions(options);
  const maxMemory = options.maxMemory ?? Number.POSITIVE_INFINITY;
  /** Asked only when there is a bound to compare with (the callback reads the process's RSS). */
  const memoryBytes = maxMemory < Number.POSITIVE_INFINITY ? (options.memoryBytes ?? null) : null;
  const invs = cfg.invariants ? INVARIANTS.filter((i) => cfg.invariants?.includes(i.id)) : INVARIANTS;
  const stepInvs = invs.filter((i) => i.step);
  const scanned = invs.filter((i) => i.check && i.scan);
  const direct = invs.filter((i) => i.check && !i.scan);
  const scenario = model.scenario;
  const t0 = performance.now();
  const seconds = () => (performance.now() - t0) / 1000;

  const codec = new StateCodec(model.init);
  const k = codec.k;
  const mode = options.symmetry ?? false;
  const classes = mode === false ? [] : mode === true ? deviceSymmetryClasses(scenario) : declaredSymmetryClasses(scenario);
  const sym = classes.length > 0 ? new DeviceSymmetry(classes, codec) : null;
  const memo = new MemoModel(model, codec, stepInvs, scanned, options.projectedBlocks ?? translationEnabled(scenario));
  const nBlocks = memo.blocks.length;

  /** The state being expanded, extended (StateCodec.extend) when the generic path needs its fields. */
  const cur = new Int32Array(codec.extLength);
  /** A new state's code, for its checks (the scans read whole slots: no extension). */
  const child = new Int32Array(k);
  codec.encode(model.init, cur);
  sym?.canonicalize(cur);
  const fingerprints = options.fingerprints ?? false;
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new Error(`exploreFast: workers must be an integer in 1..256, got ${workers}`);
  const [maxG, maxD] = [Math.max(codec.maxGlobalId, 15), Math.max(codec.maxDeviceId, 15)];
  /** With workers (once started), the visited set lives in the shards and `store` only lists the codes by id. */
  let visited: ShardedVisited | null = null;
  try {
    return run();
  } finally {
    (visited as ShardedVisited | null)?.close(); // set inside run()
  }

  function run(): FastExplorationResult {
    const store = new (fingerprints ? FingerprintStore : PackedStore)(k, maxG, maxD);
    let created = codec.created;
    /** The packed code of the state being expanded. */
    const pw = new Uint32Array(k);
    const parent = new ChunkedInt32();
    const found = new Map<string, Found>();
    const broken = new Set<number>();
    const ctr = new CallCounters();
    let transitions = 0;
    let maxDepth = 0;
    let bound: ExplorationResult['bound'] = null;
    let curDepth = 0;
    let layerEnd = 1;

    /** Checks the new state `id` coded by `code`. */
    const checkState = (id: number, code: Int32Array) => {
      const reasons = memo.reasons(code);
      for (const [f, reason] of reasons) {
        const inv = scanned[f]!;
        if (!found.has(inv.id)) found.set(inv.id, { inv, reason, stateId: id, eventIndex: -1 });
      }
      let bad = reasons.length > 0;
      if (direct.length > 0) {
        const s = codec.decode(code);
        for (const inv of direct) {
          const reason = inv.check!(s, scenario);
          if (reason === null) continue;
          bad = true;
          if (!found.has(inv.id)) found.set(inv.id, { inv, reason, stateId: id, eventIndex: -1 });
        }
      }
      if (bad) broken.add(id);
    };

    const slots = new SlotCalls(memo.blocks, codec);
    const nGroups = slots.groups;
    const { groupOf, rankOf } = slots;
    /** Under symmetry, entries copied across the slots of a class (./sharedEntries.ts). */
    const shared = sym !== null ? new SharedEntries(sym, slots, memo, codec.n) : null;
    /** Per group of blocks: where its entry for the current state starts in slots.arena. */
    const entryAt = new Int32Array(nGroups);
    /** Under symmetry, the slots of the current state whose events a twin slot's cover (DeviceSymmetry.twins). */
    const skip = new Uint8Array(codec.n);
    /** The current state's code is extended (the generic path reads device fields). */
    let extended = false;
    const extend = () => {
      if (!extended) codec.extend(cur);
      extended = true;
    };
    /** Call u in the current (extended) state, through the MemoModel. */
    const genericCall = (u: number): CallLeaf => {
      ctr.grow(memo.events.length);
      const leaf = ctr.runDirect[u] === 1 ? memo.callDirect(u, cur) : memo.call(u, cur);
      if (memo.missed) {
        memo.missed = false;
        // A call whose cache misses more often than not runs directly from then on.
        if (++ctr.misses[u]! >= 32 && ctr.misses[u]! * 4 > ctr.total(u)) ctr.runDirect[u] = 1;
      }
      return leaf;
    };

    /**
     * Successors waiting for the visited set; batched while maxStates cannot cut this state short
     * (counting, with workers, the requests whose answers are still to come).
     */
    const batch = new SuccessorBatch(k);
    let batching = false;
    /** New state `nid`, successor of `from`, at depth `depth`: recorded and checked. */
    const added = (nid: number, from: number, depth: number): boolean => {
      parent.set(nid, from);
      if (depth > maxDepth) maxDepth = depth;
      store.unpack(nid, child);
      checkState(nid, child);
      return store.count < cfg.maxStates;
    };
    const onLookUp = (r: number): boolean => (r < 0 ? added(~r, expanding, curDepth + 1) : store.count < cfg.maxStates);
    const onAnswer: OnAnswer = (isNew, code, at, from, depth) => (isNew ? added(store.append(code, at), from, depth + 1) : store.count < cfg.maxStates);
    /**
     * Looks the batch up, in order: adds and checks new states. False once maxStates is reached.
     * With workers, sends the batch to the shards, and waits for the answers only while batching
     * is off (near maxStates), so that the run stops where the single-threaded one does.
     */
    const flush = (): boolean => {
      const ok = visited ? batch.send(store, visited, expanding, curDepth, onAnswer) && (batching || visited.drain(onAnswer)) : batch.lookUp(store, onLookUp);
      batching = cfg.maxStates - store.count - (visited?.pending ?? 0) > batch.capacity;
      return ok;
    };
    /** After new ids were given: looks up what the batch holds, then makes room in the packed fields. */
    const relayout = () => {
      if (created === codec.created) return;
      if (batch.length > 0) flush();
      created = codec.created;
      if (store.layout.fits(codec.maxGlobalId, codec.maxDeviceId)) return;
      // Codes still in the shards' rings are in the old layout: take their answers first.
      if (visited && !visited.drain(onAnswer)) return;
      store.widen(codec.maxGlobalId, codec.maxDeviceId);
      visited?.widen(store.layout);
      store.load(expanding, pw);
    };
    /** The state being expanded. */
    let expanding = 0;

    /**
     * Takes call u (event index ei) from the state being expanded (code in cur, packed in pw),
     * with outcome `outcome`, a successor when `succ`, writes w[at .. at + nw) and broken step
     * invariants `brk`: counts it, records what it breaks, and queues its successor for the
     * visited set. False once maxStates is reached.
     */
    const fire = (u: number, outcome: number, succ: boolean, w: Int32Array, at: number, nw: number, brk: CallLeaf['broken'], ei: number): boolean => {
      ctr.count(u, outcome);
      if (!succ) return true;
      transitions++;
      if (brk) {
        for (const [i, reason] of brk) {
          const inv = stepInvs[i]!;
          if (!found.has(inv.id)) found.set(inv.id, { inv, reason, stateId: expanding, eventIndex: ei });
        }
      }
      // The writes, with each patch resolved against this state's tuple (may intern a new one).
      let same = true;
      for (let j = 0; j < nw; j += 2) {
        const c = w[at + j]!;
        const v = w[at + j + 1]!;
        const id = v >= 0 ? v : codec.applyPatch(cur[c]!, ~v);
        writes[j] = c;
        writes[j + 1] = id;
        if (id !== cur[c]) same = false;
      }
      if (!same) ctr.changed[u]! += 1;
      if (sym) {
        for (let c = 0; c < k; c++) rep[c] = cur[c]!;
        for (let j = 0; j < nw; j += 2) rep[writes[j]!] = writes[j + 1]!;
        if (!sym.inOrder(rep, writes, nw)) sym.canonicalize(rep);
        relayout();
        store.pack(rep, batch.packed, 0, batch.add(store.words));
      } else {
        relayout();
        const W = store.words;
        const p = batch.add(W);
        const packed = batch.packed;
        for (let x = 0; x < W; x++) packed[p + x] = pw[x]!;
        for (let j = 0; j < nw; j += 2) store.put(packed, writes[j]!, writes[j + 1]!, p);
      }
      return batching && !batch.full ? true : flush();
    };
    /** The current call's writes, resolved: pairs (component, id). */
    const writes = new Int32Array(2 * k + 2);
    /** Under symmetry, the current successor's code before and after canonicalize. */
    const rep = new Int32Array(k);

    /**
     * Starts the worker threads: they get every state stored so far, and `store` keeps only the
     * codes by id (PackedStore.dropIndex). Called between two states: nothing is in flight.
     */
    const goParallel = () => {
      const shards = new ShardedVisited(workers - 1, store.layout, fingerprints);
      visited = shards;
      const code = new Uint32Array(store.words);
      const ignore = () => true;
      for (let id = 0; id < store.count; id++) {
        store.load(id, code);
        shards.request(code, 0, code.length, id, 0, ignore);
      }
      shards.drain(ignore);
      store.dropIndex();
    };

    store.pack(cur, pw);
    store.findOrAdd(pw);
    parent.set(0, -1);
    checkState(0, cur);

    let head = 0;
    for (;;) {
      // With workers: the queue, or the layer, ends here only once every answer is in.
      if (visited === null && workers > 1 && store.count >= (options.parallelFrom ?? PARALLEL_FROM)) goParallel();
      if (visited !== null && visited.pending > 0 && (head === store.count || head === layerEnd)) visited.drain(onAnswer);
      if (head >= store.count) break;
      if (store.count >= cfg.maxStates) {
        bound = 'max-states';
        break;
      }
      if ((head & 255) === 0) {
        if (seconds() > cfg.maxSeconds) {
          bound = 'max-seconds';
          break;
        }
        if (memoryBytes && memoryBytes() > maxMemory) {
          bound = 'max-memory';
          break;
        }
      }
      const id = (expanding = head++);
      if (id >= layerEnd) {
        curDepth++;
        layerEnd = store.count;
      }
      if (broken.has(id)) continue;
      store.unpack(id, cur);
      extended = false;
      memo.enter();
      const twins = sym !== null && sym.twins(cur, skip) > 0;
      for (let j = 0; j < nGroups; j++) {
        if (twins && j < codec.n && skip[j] === 1) continue;
        let e = slots.get(j, cur);
        if (e < 0) {
          extend();
          e = shared !== null && j < codec.n ? shared.find(j, cur) : -1;
          if (e < 0) {
            e = slots.make(j, cur, memo, genericCall);
            if (shared !== null && j < codec.n) shared.add(j, cur, e);
          }
        }
        entryAt[j] = e;
      }
      ctr.grow(memo.events.length);
      relayout();
      store.load(id, pw);
      const arena = slots.arena;
      let ei = 0;
      for (let b = 0; b < nBlocks; b++) {
        if (twins && groupOf[b]! < codec.n && skip[groupOf[b]!] === 1) continue;
        let p = arena[entryAt[groupOf[b]!]! + rankOf[b]!]!;
        if (p !== GENERIC) {
          const n = arena[p++]!;
          for (let x = 0; x < n; x++, ei++) {
            const nw = arena[p + 3]!;
            const brk = arena[p + OP_HEAD + nw]!;
            if (!fire(arena[p]!, arena[p + 1]!, arena[p + 2] === 1, arena, p + OP_HEAD, nw, brk < 0 ? null : slots.broken[brk]!, ei)) break;
            p += OP_HEAD + nw + 1;
          }
        } else {
          extend();
          const us = memo.block(b, cur).us;
          for (let x = 0; x < us.length; x++, ei++) {
            const leaf = genericCall(us[x]!);
            if (!fire(us[x]!, leaf.outcome, leaf.succ, leaf.writes, 0, leaf.writes.length, leaf.broken, ei)) break;
          }
        }
        if (store.count >= cfg.maxStates) break;
      }
      if (batch.length > 0) flush();
      if (cfg.onProgress && id % cfg.progressEvery === 0 && id > 0) {
        cfg.onProgress({ states: store.count, transitions, queue: store.count - head + (visited?.pending ?? 0), depth: curDepth, seconds: seconds() });
      }
    }
    if (bound === null && (head < store.count || (visited?.pending ?? 0) > 0)) bound = 'max-states';
    visited?.close();

    const coverage = ctr.coverage(memo.events);

    const violations = counterexamples({ model, codec, store, sym, parentOf: (i) => parent.get(i), invs, found });
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
        bytesPerState: count > 0 ? (store.bytes() + parent.bytes() + (visited?.bytes() ?? 0)) / count : 0,
        codeElements: k,
        codeWords: store.words,
        threads: visited ? workers : 1,
        events: memo.events.length,
        collisionProbability: fingerprints ? collisionProbability(count) : null,
      },
    };
  }
}
