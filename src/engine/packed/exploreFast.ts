/**
 * The packed exploration engine: the same breadth-first search as explore() (same order, same
 * bounds, same counts, same shortest deterministic counterexamples, same coverage), over packed
 * state codes instead of full snapshots, with the model's functions cached per component value.
 *
 * - A state is a code (./codec.ts: a global id and one device-tuple id per slot), bit-packed in
 *   the visited set (./packedStore.ts); per state only its parent id is kept besides.
 * - Expanding a state does not rebuild it: its calls come from the event blocks, each cached per
 *   the components it read, and each call's result (outcome, writes to the code, the step
 *   invariants it breaks) is cached the same way (./memoModel.ts). On a cache miss the semantic
 *   function runs on a recording view of the state: it stays the only source of successors.
 *   A call that has missed 512 times and on more than a quarter of its calls (it reads nearly
 *   the whole state, e.g. an operation on every group member) runs directly on the decoded
 *   state from then on: the same result, without the cache.
 * - A new state's state invariants are their scans (src/invariants/deviceScan.ts), one cached
 *   step per device slot.
 * - Traces are rebuilt by replaying model.apply from the initial state (./replay.ts).
 * - Optional symmetry reduction over interchangeable devices (./symmetry.ts).
 *
 * Pure: no I/O. Time is read only to honour maxSeconds and report speed; memory only through
 * the caller's `memoryBytes` callback.
 */
import { INVARIANTS } from '../../invariants/index.ts';
import type { Model } from '../../machines/model.ts';
import { resolveExploreOptions } from '../resolveOptions.ts';
import type { EventCoverage, ExplorationResult, ExploreOptions } from '../types.ts';
import { StateCodec } from './codec.ts';
import { MemoModel, OUTCOMES } from './memoModel.ts';
import { PackedStore } from './packedStore.ts';
import { counterexamples, type Found } from './replay.ts';
import { declaredSymmetryClasses, DeviceSymmetry, deviceSymmetryClasses } from './symmetry.ts';

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
  /** Distinct calls met (the event universe). */
  events: number;
}

export type FastExplorationResult = ExplorationResult & { fast: FastStats };

/** Growing Int32 storage in fixed chunks (no copying, at most one chunk unused). */
class ChunkedInt32 {
  private chunks: Int32Array[] = [];
  get(i: number): number {
    return this.chunks[i >>> 16]![i & 0xffff]!;
  }
  set(i: number, v: number): void {
    if (i >>> 16 === this.chunks.length) this.chunks.push(new Int32Array(1 << 16));
    this.chunks[i >>> 16]![i & 0xffff] = v;
  }
  bytes(): number {
    return this.chunks.length * (1 << 18);
  }
}

const NO = OUTCOMES.length;

/** Explores `model` exhaustively (or up to the bounds in `options`), like explore(). */
export function exploreFast(model: Model, options: ExploreFastOptions = {}): FastExplorationResult {
  const cfg = resolveExploreOptions(options);
  const maxMemory = options.maxMemory ?? Number.POSITIVE_INFINITY;
  const memoryBytes = options.memoryBytes ?? null;
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
  const memo = new MemoModel(model, codec, stepInvs, scanned);
  const nBlocks = memo.blocks.length;

  // Extended codes (StateCodec.extend): what the caches read.
  const cur = new Int32Array(codec.extLength);
  const child = new Int32Array(codec.extLength);
  codec.encode(model.init, cur);
  sym?.canonicalize(cur, () => model.init);
  codec.extend(cur);
  const store = new PackedStore(k, Math.max(codec.maxGlobalId, 15), Math.max(codec.maxDeviceId, 15));
  let created = codec.created;
  const pw = new Uint32Array(k);
  /** The current call's writes, resolved: pairs (component, id). */
  const writes = new Int32Array(2 * k + 2);
  const cw = new Uint32Array(k);
  const parent = new ChunkedInt32();
  const found = new Map<string, Found>();
  const broken = new Set<number>();
  let counts = new Float64Array(64 * NO);
  let changed = new Float64Array(64);
  /** Per call: cache misses, and whether it now runs directly (see MemoModel.callDirect). */
  let misses = new Uint32Array(64);
  let runDirect = new Uint8Array(64);
  const total = (u: number) => {
    let c = 0;
    for (let o = 0; o < NO; o++) c += counts[u * NO + o]!;
    return c;
  };
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
  /** After a cache miss: room in the packed fields for every id given so far. */
  const widen = () => {
    created = codec.created;
    return store.widen(codec.maxGlobalId, codec.maxDeviceId);
  };

  store.pack(cur, cw);
  store.findOrAdd(cw);
  parent.set(0, -1);
  checkState(0, cur);

  let head = 0;
  while (head < store.count) {
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
    const id = head++;
    if (id >= layerEnd) {
      curDepth++;
      layerEnd = store.count;
    }
    if (broken.has(id)) continue;
    store.unpack(id, cur);
    codec.extend(cur);
    store.load(id, pw);
    memo.enter();
    let ei = 0;
    expand: for (let b = 0; b < nBlocks; b++) {
      const us = memo.block(b, cur);
      while (memo.events.length > changed.length) {
        const c = new Float64Array(changed.length * 2 * NO);
        c.set(counts);
        counts = c;
        const d = new Float64Array(changed.length * 2);
        d.set(changed);
        changed = d;
        const m = new Uint32Array(changed.length);
        m.set(misses);
        misses = m;
        const di = new Uint8Array(changed.length);
        di.set(runDirect);
        runDirect = di;
      }
      for (let x = 0; x < us.length; x++, ei++) {
        const u = us[x]!;
        const leaf = runDirect[u] === 1 ? memo.callDirect(u, cur) : memo.call(u, cur);
        if (memo.missed) {
          memo.missed = false;
          // A call whose cache misses more often than not runs directly from then on.
          if (++misses[u]! >= 512 && misses[u]! * 4 > total(u)) runDirect[u] = 1;
        }
        counts[u * NO + leaf.outcome]! += 1;
        if (!leaf.succ) {
          if (created !== codec.created && widen()) store.load(id, pw);
          continue;
        }
        transitions++;
        if (leaf.broken) {
          for (const [i, reason] of leaf.broken) {
            const inv = stepInvs[i]!;
            if (!found.has(inv.id)) found.set(inv.id, { inv, reason, stateId: id, eventIndex: ei });
          }
        }
        // The writes, with each patch resolved against this state's tuple (may intern a new one).
        const lw = leaf.writes;
        const nw = lw.length;
        for (let j = 0; j < nw; j += 2) {
          const c = lw[j]!;
          const v = lw[j + 1]!;
          writes[j] = c;
          writes[j + 1] = v >= 0 ? v : codec.applyPatch(cur[c]!, ~v);
        }
        if (created !== codec.created && widen()) store.load(id, pw);
        const W = store.words;
        for (let w = 0; w < W; w++) cw[w] = pw[w]!;
        for (let j = 0; j < nw; j += 2) store.put(cw, writes[j]!, writes[j + 1]!);
        let same = true;
        for (let w = 0; w < W; w++) if (cw[w] !== pw[w]) same = false;
        if (!same) changed[u]! += 1;
        if (sym) {
          child.set(cur);
          for (let j = 0; j < nw; j += 2) child[writes[j]!] = writes[j + 1]!;
          if (sym.canonicalize(child, () => codec.decode(child)) !== null) {
            if (created !== codec.created && widen()) store.load(id, pw);
            store.pack(child, cw);
          }
        }
        const r = store.findOrAdd(cw);
        if (r < 0) {
          const nid = ~r;
          parent.set(nid, id);
          if (curDepth + 1 > maxDepth) maxDepth = curDepth + 1;
          if (!sym) {
            child.set(cur);
            for (let j = 0; j < nw; j += 2) child[writes[j]!] = writes[j + 1]!;
          }
          codec.extend(child);
          checkState(nid, child);
        }
        if (store.count >= cfg.maxStates) break expand;
      }
    }
    if (cfg.onProgress && id % cfg.progressEvery === 0 && id > 0) {
      cfg.onProgress({ states: store.count, transitions, queue: store.count - head, depth: curDepth, seconds: seconds() });
    }
  }
  if (bound === null && head < store.count) bound = 'max-states';

  const coverage: Record<string, EventCoverage> = {};
  for (const type of memo.typeOrder) {
    const cov: EventCoverage = { enabled: 0, ok: 0, changed: 0, errnos: {} };
    memo.events.forEach((e, u) => {
      if (e.type !== type) return;
      for (let o = 0; o < NO; o++) cov.enabled += counts[u * NO + o]!;
      cov.ok += counts[u * NO]!;
      cov.changed += changed[u]!;
    });
    for (const o of memo.outcomeOrder.get(type)!) {
      if (o === 0) continue;
      let c = 0;
      memo.events.forEach((e, u) => {
        if (e.type === type) c += counts[u * NO + o]!;
      });
      cov.errnos[OUTCOMES[o]!] = c;
    }
    coverage[type] = cov;
  }

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
      bytesPerState: count > 0 ? (store.bytes() + parent.bytes()) / count : 0,
      codeElements: k,
      codeWords: store.words,
      events: memo.events.length,
    },
  };
}
