/**
 * The model's functions cached per component value, for exploreFast: the event blocks
 * (eventBlocks) and each kernel call (model.apply, with the step invariants on its result), each
 * in a ReadTrie keyed by what the function read (./recorder.ts); the state invariants' scans are
 * cached the same way in ./scanCache.ts. On a miss the function itself runs, on a recording view of the
 * state: the semantic functions and the invariants stay the only definitions of successors and
 * verdicts; this file adds no rule.
 *
 * Soundness: every cached function is pure and reads the state only through the view, which
 * records each component (global part, device slot) at its first read. Kernel calls are keyed
 * per device field they read (a call that reads two fields of a slot hits for every tuple that
 * agrees on those two); event blocks and invariant scans, which read most fields of their slot,
 * are keyed per whole slot (one trie level instead of one per field). A state that agrees with
 * a recorded run on the components it read makes the function take the same path, so it returns
 * the same value; a successor differs from its state only in components that the result does
 * not share with the view, and those are written as ids (see ReadRecorder.writesOf).
 *
 * confinedBlock runs a block and its calls on the state confined to one slot (./confined.ts)
 * instead, for the per-slot entries: the same soundness argument with the read set checked to
 * be within (global part, that slot) rather than recorded field by field.
 */
import { ERRNO, type Errno } from '../../kernel/errno.ts';
import type { Invariant } from '../../invariants/index.ts';
import { eventBlocks, type EventBlock } from '../../machines/enumerate.ts';
import { eventKey, successor, type IommuEvent } from '../../machines/events.ts';
import type { Model } from '../../machines/model.ts';
import type { SystemState } from '../../machines/state.ts';
import { globalChanged, type Code, type StateCodec } from './codec.ts';
import { BlockCache } from './blockCache.ts';
import { ConfinedStates } from './confined.ts';
import { IdTable } from './idTable.ts';
import { ReadRecorder, SEVERAL_SLOTS } from './recorder.ts';
import { ReadTrie } from './readTrie.ts';
import { ScanCache, type Reasons } from './scanCache.ts';

/** Outcome 0 is success; errno e is outcome OUTCOMES.indexOf(e). */
export const OUTCOMES: readonly (Errno | null)[] = [null, ...(Object.keys(ERRNO) as Errno[])];
const OUTCOME_OF = new Map(OUTCOMES.map((o, i) => [o, i]));

/** One kernel call from the states agreeing with one recorded path. */
export interface CallLeaf {
  /** Index into OUTCOMES. */
  readonly outcome: number;
  /** The call has a successor (success, or an error path that changed the state). */
  readonly succ: boolean;
  /** Pairs (component, id) to write into the caller's code to get the successor's. */
  readonly writes: Int32Array;
  /** Step invariants this call breaks: [index into the step invariants, reason]. */
  readonly broken: readonly (readonly [number, string])[] | null;
  /** The one device slot the call read (ReadRecorder.slotRead): NO_SLOT, a slot, or SEVERAL_SLOTS. */
  readonly slot: number;
}

/** One event block from the states agreeing with one recorded path. */
export interface BlockLeaf {
  /** The block's calls, as universe indices. */
  readonly us: Int32Array;
  /** The one device slot the block read (ReadRecorder.slotRead). */
  readonly slot: number;
}

const EMPTY = new Int32Array(0);

export class MemoModel {
  /** The event universe: every distinct call met so far, by index. */
  private readonly universe = new IdTable<string, IommuEvent>();
  readonly events: readonly IommuEvent[] = this.universe.values;
  readonly blocks: readonly EventBlock[];
  private readonly rec: ReadRecorder;
  private readonly confined: ConfinedStates;
  private readonly blockTrie: ReadTrie<BlockLeaf>;
  private readonly callTrie: ReadTrie<CallLeaf>;
  private readonly scanCache: ScanCache;
  private readonly blockCache: BlockCache | null;
  /** Set by a cache miss in call(); the caller clears it. */
  missed = false;
  private decoded: SystemState | null = null;

  constructor(
    private readonly model: Model,
    private readonly codec: StateCodec,
    private readonly stepInvs: readonly Invariant[],
    /** State invariants, each with a scan. */
    stateInvs: readonly Invariant[],
    /** Cache blocks by the places of the global part they read (./blockCache.ts); null: run them on the confined state per entry. */
    projected = false,
  ) {
    this.rec = new ReadRecorder(codec);
    this.confined = new ConfinedStates(codec);
    this.blockTrie = new ReadTrie();
    this.callTrie = new ReadTrie();
    this.blocks = eventBlocks(model.scenario);
    this.blockCache = projected ? new BlockCache(codec, this.confined, this.blocks, (e) => this.eventId(e), (u, s) => this.run(u, s, () => {})) : null;
    this.scanCache = new ScanCache(this.rec, this.confined, codec, stateInvs.map((i) => i.scan!), model.scenario);
  }

  /** The universe index of `e`. */
  eventId(e: IommuEvent): number {
    return this.universe.idOf(eventKey(e), e);
  }

  // `code` below is always an extended code (StateCodec.extend).

  /** The calls of block `b` in the state coded by `code`. */
  block(b: number, code: Code): BlockLeaf {
    const hit = this.blockTrie.get(b, code);
    if (hit !== undefined) return hit;
    const view = this.rec.begin(code, 0);
    const events = this.blocks[b]!.events(view.state);
    const path = this.rec.end();
    const v: BlockLeaf = { us: Int32Array.from(events, (e) => this.eventId(e)), slot: this.rec.slotRead() };
    this.blockTrie.set(b, path, v);
    return v;
  }

  /** Kernel call `u` in the state coded by `code`, from the cache (or run on a recording view). */
  call(u: number, code: Code): CallLeaf {
    const hit = this.callTrie.get(u, code);
    if (hit !== undefined) return hit;
    if (this.callTrie.full) return this.callDirect(u, code);
    this.missed = true;
    const view = this.rec.begin(code);
    const { leaf } = this.run(u, view.state, () => this.rec.end());
    const path = this.rec.path;
    const writes = leaf.succ ? this.rec.writesOf(view, leaf.next!) : [];
    const cached: CallLeaf = { outcome: leaf.outcome, succ: leaf.succ, writes: Int32Array.from(writes), broken: leaf.broken, slot: this.rec.slotRead() };
    this.callTrie.set(u, path, cached);
    return cached;
  }

  /**
   * Block b and its calls, each with its result, in the state coded by `code` confined to slot
   * j (or to the global part, j = NO_SLOT; ./confined.ts): what block() and call() give there,
   * without recording, when the block, its calls and the step invariants on their successors
   * looked at nothing else (the writes are then ids, no patches); null when one of them did.
   */
  confinedBlock(b: number, code: Code, j: number): { u: number; leaf: CallLeaf }[] | null {
    const c = this.confined;
    const s = c.state(code, j);
    const events = this.blocks[b]!.events(s);
    if (c.strayed) return null;
    const out: { u: number; leaf: CallLeaf }[] = [];
    for (const e of events) {
      const u = this.eventId(e);
      const { leaf } = this.run(u, s, () => {});
      const writes = leaf.next !== null ? this.plainWrites(s, leaf.next, code) : [];
      if (c.strayed) return null;
      out.push({ u, leaf: { outcome: leaf.outcome, succ: leaf.succ, writes: Int32Array.from(writes), broken: leaf.broken, slot: j } });
    }
    return out;
  }

  /**
   * What confinedBlock gives, as a flat result of the blocks cached by the places of the global
   * part they read (./blockCache.ts, BlockCache.append resolves it); null when the block looked
   * at another slot, undefined when it was not tried (no block cache, or BlockCache.block's reasons).
   */
  projectedBlock(b: number, code: Code, j: number): Int32Array | null | undefined {
    return this.blockCache?.block(b, code, j);
  }

  /** Appends a flat result of projectedBlock, resolved in the state `code` (BlockCache.append). */
  appendProjected(flat: Int32Array, code: Code, out: number[], broken: (list: NonNullable<CallLeaf['broken']>) => number): void {
    this.blockCache!.append(flat, code, out, broken);
  }

  /**
   * The calls of block b in the state coded by `code` confined to slot j, or null when the
   * block looked at another slot.
   */
  confinedEvents(b: number, code: Code, j: number): readonly IommuEvent[] | null {
    const c = this.confined;
    const events = this.blocks[b]!.events(c.state(code, j));
    return c.strayed ? null : events;
  }

  /** Per (call, i, j): the call with its `dev` moved by the transposition (i j) (see renamedEvent). */
  private readonly movedEvents = new Map<number, number>();

  /**
   * The image of call u under the transposition (i j): its device slot `dev` swapped if it is i
   * or j (`dev` is the only field of an event that names a slot; a caller that compares the image
   * with the events a block really gives catches any other).
   */
  renamedEvent(u: number, i: number, j: number): number {
    const e = this.events[u]!;
    if (!('dev' in e) || (e.dev !== i && e.dev !== j)) return u;
    const n = this.codec.n;
    const key = (u * n + i) * n + j;
    let v = this.movedEvents.get(key);
    if (v === undefined) this.movedEvents.set(key, (v = this.eventId({ ...e, dev: e.dev === i ? j : i } as IommuEvent)));
    return v;
  }

  /** The writes (pairs component, id) from the state `s`, coded by `code`, to `next`, a successor built from it. */
  private plainWrites(s: SystemState, next: SystemState, code: Code): number[] {
    const writes: number[] = [];
    if (next === s) return writes;
    // Only the parts the call replaced need interning (the semantic functions share the rest).
    if (globalChanged(next, s)) {
      const g = this.codec.globalId(next, code[0]!);
      if (g !== code[0]) writes.push(0, g);
    }
    if (next.devices === s.devices) return writes;
    if (next.devices.length !== this.codec.n) throw new Error(`exploreFast: a successor has ${next.devices.length} device slots, the scenario ${this.codec.n}`);
    for (let j = 0; j < this.codec.n; j++) {
      const d = next.devices[j]!;
      if (d === s.devices[j]) continue;
      const id = this.codec.deviceId(d, code[1 + j]!);
      if (id !== code[1 + j]) writes.push(1 + j, id);
    }
    return writes;
  }

  /**
   * Kernel call `u` run directly on the decoded state, not cached: for calls that read so much
   * of the state that caching them would rarely hit.
   */
  callDirect(u: number, code: Code): CallLeaf {
    const s = (this.decoded ??= this.codec.decode(code));
    const { leaf } = this.run(u, s, () => {});
    const writes = leaf.next !== null ? this.plainWrites(s, leaf.next, code) : [];
    return { outcome: leaf.outcome, succ: leaf.succ, writes: Int32Array.from(writes), broken: leaf.broken, slot: SEVERAL_SLOTS };
  }

  /** A new state is being expanded (forgets the decoded one). */
  enter(): void {
    this.decoded = null;
  }

  /** Runs call `u` and the step invariants on its successor; `done` ends recording before the caller looks at the result. */
  private run(u: number, s: SystemState, done: () => void): { leaf: CallLeaf & { next: SystemState | null } } {
    const e = this.events[u]!;
    const r = this.model.apply(s, e);
    const next = successor(r);
    let broken: [number, string][] | null = null;
    if (next !== null) {
      this.stepInvs.forEach((inv, i) => {
        const reason = inv.step!(s, e, next, this.model.scenario);
        if (reason !== null) (broken ??= []).push([i, reason]);
      });
    }
    done();
    const outcome = OUTCOME_OF.get(r.ok ? null : r.errno)!;
    return { leaf: { outcome, succ: next !== null, writes: EMPTY, broken, slot: SEVERAL_SLOTS, next } };
  }

  /** The state invariants (scans) the state coded by `code` breaks. */
  reasons(code: Code): Reasons {
    return this.scanCache.reasons(code);
  }
}
