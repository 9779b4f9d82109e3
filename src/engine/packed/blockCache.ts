/**
 * Event blocks and their calls cached by the places of the global part they read, for the
 * per-slot entries of ./slotCalls.ts. An entry is keyed by (global id, slot tuple id); where
 * most calls change the global part (a DMA, a flush, a page reuse each change the group's
 * translation state), nearly every state needs new entries, and making one ran every block and
 * call of the slot again. Here a block of slot j (with its calls and the step invariants on
 * their successors) is kept per (projection of the global part onto the places it read, slot j's
 * tuple id), with its global writes as patches (./globalPlaces.ts): a block that reads a group's
 * owner and domain hits whatever the group's IOTLB holds.
 *
 * Soundness, as for ./globalReads.ts: a miss runs the block on the state confined to slot j
 * (./confined.ts) with a recording view of the global part (./globalView.ts); the places it read
 * join the block's projection (the union over its runs; when it grows, the block's results are
 * dropped). Two global parts with the same projection agree on every place any recorded run of
 * the block read, so the block, its calls and the step invariants take the same paths on both;
 * the writes are the same patch, and the slot writes the same ids. A run that looked at another
 * slot is not kept: the caller takes the recorded path (./memoModel.ts) for that block and state.
 * (Keying such blocks by the other slots' tuples too was tried: a device block that reads its
 * group-mates in a few states then keys every state by them, and the three-actor model ran 1.6x
 * slower.)
 */
import type { EventBlock } from '../../machines/enumerate.ts';
import type { IommuEvent } from '../../machines/events.ts';
import type { SystemState } from '../../machines/state.ts';
import type { Code, StateCodec } from './codec.ts';
import type { ConfinedStates } from './confined.ts';
import { GlobalPlaces } from './globalPlaces.ts';
import { GlobalRecording } from './globalView.ts';
import { Grid } from './grid.ts';
import type { CallLeaf } from './memoModel.ts';
import { TupleTable } from './tupleTable.ts';

/** One call of a cached block: its result with the global write as a patch id (-1: none). */
interface CachedCall {
  readonly u: number;
  readonly outcome: number;
  readonly succ: boolean;
  readonly patch: number;
  /** Pairs (component 1 + slot, tuple id). */
  readonly slotWrites: Int32Array;
  readonly broken: CallLeaf['broken'];
}

/**
 * Projection ids of global ids onto one set of places; shared by every function whose recorded
 * runs read that set (many calls read the same two or three places), so each global id is
 * projected once per set, not once per function.
 */
class PlaceSet {
  private byGlobal = new Int32Array(0);
  private readonly table = new TupleTable();
  private readonly tuples: Int32Array[] = [];

  constructor(readonly places: readonly number[]) {}

  idOf(g: number, values: GlobalPlaces): number {
    if (g < this.byGlobal.length && this.byGlobal[g]! > 0) return this.byGlobal[g]! - 1;
    const t = Int32Array.from(this.places, (p) => values.valueOf(p, g));
    let id = this.table.find(t, this.tuples);
    if (id < 0) {
      id = this.tuples.length;
      this.tuples.push(t);
      this.table.add(t, id);
    }
    if (g >= this.byGlobal.length) {
      const bigger = new Int32Array(Math.max(2 * this.byGlobal.length, g + 1, 64));
      bigger.set(this.byGlobal);
      this.byGlobal = bigger;
    }
    this.byGlobal[g] = id + 1;
    return id;
  }
}

/** The place sets met so far, by their sorted places. */
class PlaceSets {
  private readonly sets = new Map<string, PlaceSet>();
  readonly empty = this.of([]);

  of(places: readonly number[]): PlaceSet {
    const sorted = [...places].sort((a, b) => a - b);
    const key = sorted.join(',');
    let set = this.sets.get(key);
    if (set === undefined) this.sets.set(key, (set = new PlaceSet(sorted)));
    return set;
  }
}

/** The places one function (a block's events, a call) read over its recorded runs, and its results keyed by (projection id, slot tuple). */
class Projection<R> {
  constructor(public set: PlaceSet) {}
  results: R[] = [];
  index = new Grid();
  /** Runs that looked at another slot, and hits: a function that keeps straying is not tried again. */
  strays = 0;
  hits = 0;
  /** For a block: the calls its compositions looked up, and how many of them missed. */
  calls = 0;
  callMisses = 0;

  /** Adds the places a run read; when the union grows, the results (keyed by the old set's ids) are dropped. */
  learn(read: ReadonlySet<number>, sets: PlaceSets): void {
    const known = this.set.places;
    let grew = false;
    for (const p of read) if (!known.includes(p)) grew = true;
    if (!grew) return;
    this.set = sets.of([...new Set([...known, ...read])]);
    this.results = [];
    this.index = new Grid();
  }
}

/** Runs call u on state s and the step invariants on its successor (MemoModel.run). */
export type RunCall = (u: number, s: SystemState) => { leaf: CallLeaf & { next: SystemState | null } };

export class BlockCache {
  private readonly places: GlobalPlaces;
  private readonly sets = new PlaceSets();
  private readonly recording: GlobalRecording;
  /** Per block: its events (universe ids), and its whole flat result. */
  private readonly eventLists: Projection<Int32Array>[];
  private readonly blockResults: Projection<Int32Array>[];
  /** The broken step invariants of cached calls. */
  private readonly broken: NonNullable<CallLeaf['broken']>[] = [];
  /** Per (call, slot it is confined to): its result. */
  private readonly callResults = new Map<number, Projection<CachedCall>>();

  constructor(
    private readonly codec: StateCodec,
    private readonly confined: ConfinedStates,
    private readonly blocks: readonly EventBlock[],
    private readonly eventId: (e: IommuEvent) => number,
    private readonly run: RunCall,
  ) {
    this.places = new GlobalPlaces(codec);
    this.recording = new GlobalRecording(this.places);
    this.eventLists = blocks.map(() => new Projection(this.sets.empty));
    this.blockResults = blocks.map(() => new Projection(this.sets.empty));
  }

  /**
   * Block b and its calls in the state coded by `code`, confined to slot j (NO_SLOT: the global
   * part alone), as a flat result (read by append); null when the block or a call strayed to
   * another slot (so a run confined to slot j strays too), undefined when the block is not tried
   * here (it strays or misses too often). Kept per (the union of the places its events and calls
   * read, slot tuple): a state agreeing on those gives the same events, and each call the same
   * result.
   */
  block(b: number, code: Code, j: number): Int32Array | null | undefined {
    const proj = this.blockResults[b]!;
    if (proj.strays > 16 && proj.strays > proj.hits) return undefined;
    // A block whose calls keep missing (each state reaches new values of what they read) is run
    // directly by the caller: a run on the recording view costs more than one on plain objects.
    if (proj.calls > 2048 && 2 * proj.callMisses > proj.calls) return undefined;
    return this.cached(proj, code, j, () => this.compose(b, code, j, proj), () => this.composedFrom);
  }

  /** The places the last compose() depended on. */
  private composedFrom: ReadonlySet<number> = new Set();

  /** Block b's flat result from the cached events and calls, and the places they depend on. */
  private compose(b: number, code: Code, j: number, block: Projection<Int32Array>): Int32Array | null {
    const events = this.eventLists[b]!;
    const us = this.cached(events, code, j, () => this.events(b, code, j));
    if (us === null) return null;
    const read = new Set(events.set.places);
    const flat: number[] = [us.length];
    for (const u of us) {
      const key = u * (this.codec.n + 1) + j + 1;
      let proj = this.callResults.get(key);
      if (proj === undefined) this.callResults.set(key, (proj = new Projection(this.sets.empty)));
      const hits = proj.hits;
      const c = this.cached(proj, code, j, () => this.call(u, code, j));
      block.calls++;
      if (proj.hits === hits) block.callMisses++;
      if (c === null) return null;
      for (const p of proj.set.places) read.add(p);
      flat.push(u, c.outcome, c.succ ? 1 : 0, c.patch, c.slotWrites.length, ...c.slotWrites, c.broken === null ? -1 : this.broken.push(c.broken) - 1);
    }
    this.composedFrom = read;
    return Int32Array.from(flat);
  }

  /**
   * Appends the calls of a flat block result, resolved in the state coded by `code`, in the
   * format of SlotCalls' arena (count, then per call: u, outcome, succ, number of write words,
   * the writes, the broken index from `broken`); the patch is applied to the global id, and
   * writes that leave a component as it is are dropped (as MemoModel.plainWrites does).
   */
  append(flat: Int32Array, code: Code, out: number[], broken: (list: NonNullable<CallLeaf['broken']>) => number): void {
    const count = flat[0]!;
    out.push(count);
    let p = 1;
    for (let x = 0; x < count; x++) {
      out.push(flat[p]!, flat[p + 1]!, flat[p + 2]!, 0);
      const nwAt = out.length - 1;
      const patch = flat[p + 3]!;
      if (patch >= 0) {
        const g = this.places.apply(code[0]!, patch);
        if (g !== code[0]) out.push(0, g);
      }
      const nsw = flat[p + 4]!;
      p += 5;
      for (let w = 0; w < nsw; w += 2) if (code[flat[p + w]!] !== flat[p + w + 1]) out.push(flat[p + w]!, flat[p + w + 1]!);
      p += nsw;
      out[nwAt] = out.length - nwAt - 1;
      const bi = flat[p++]!;
      out.push(bi < 0 ? -1 : broken(this.broken[bi]!));
    }
  }

  /**
   * The result of `proj`'s function in the state `code` confined to slot j: cached, or made by
   * `make` (null: it strayed), which read the places `read()` gives (by default, those the
   * recording view noted).
   */
  private cached<R>(proj: Projection<R>, code: Code, j: number, make: () => R | null, read: () => ReadonlySet<number> = () => this.recording.read): R | null {
    if (proj.strays > 16 && proj.strays > proj.hits) return null;
    const g = code[0]!;
    const tuple = j >= 0 ? code[1 + j]! : 0;
    const at = proj.index.get(proj.set.idOf(g, this.places), tuple);
    if (at >= 0) {
      proj.hits++;
      return proj.results[at]!;
    }
    const made = make();
    if (made === null) {
      proj.strays++;
      return null;
    }
    proj.learn(read(), this.sets);
    proj.index.set(proj.set.idOf(g, this.places), tuple, proj.results.push(made) - 1);
    return made;
  }

  /** The confined state of `code` and slot j with a recording view of the global part. */
  private begin(code: Code, j: number): SystemState {
    return this.recording.begin(this.codec.globalOf(code[0]!), this.confined.state(code, j).devices);
  }

  /** Block b's events on a recording view; null when they strayed. */
  private events(b: number, code: Code, j: number): Int32Array | null {
    const events = this.blocks[b]!.events(this.begin(code, j));
    return this.confined.strayed ? null : Int32Array.from(events, (e) => this.eventId(e));
  }

  /** Call u (and the step invariants on its successor) on a recording view; null when it strayed. */
  private call(u: number, code: Code, j: number): CachedCall | null {
    const s = this.begin(code, j);
    const { leaf } = this.run(u, s);
    let patch = -1;
    const slotWrites: number[] = [];
    if (leaf.next !== null && leaf.next !== s) {
      const w = this.recording.writes(s, leaf.next);
      if (w !== null) patch = this.places.patchId(w);
      if (leaf.next.devices !== s.devices) this.slotWrites(leaf.next, s, code, slotWrites);
    }
    if (this.confined.strayed) return null;
    return { u, outcome: leaf.outcome, succ: leaf.succ, patch, slotWrites: Int32Array.from(slotWrites), broken: leaf.broken };
  }

  /** The slot writes from `s` to `next` (as MemoModel.plainWrites). */
  private slotWrites(next: SystemState, s: SystemState, code: Code, out: number[]): void {
    if (next.devices.length !== this.codec.n) throw new Error(`exploreFast: a successor has ${next.devices.length} device slots, the scenario ${this.codec.n}`);
    for (let i = 0; i < this.codec.n; i++) {
      const d = next.devices[i]!;
      if (d !== s.devices[i]) out.push(1 + i, this.codec.deviceId(d, code[1 + i]!));
    }
  }
}
