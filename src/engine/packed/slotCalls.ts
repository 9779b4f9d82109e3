/**
 * Per-slot expansion entries for exploreFast. The event blocks about device slot j
 * (EventBlock.slot) and their calls' cached results are the same in every state that agrees on
 * the global id and slot j's tuple id, when each block and each call read nothing else. An entry
 * keeps them for one (slot, global id, tuple id): expanding a state then takes one lookup per
 * slot instead of one trie walk per block and per call.
 *
 * An entry is made by running each block and its calls on the state confined to slot j
 * (MemoModel.confinedBlock, ./confined.ts: the semantic functions stay the only source of
 * successors) and trusts nothing declared: a block that, or one of whose calls, looked at
 * another slot is made from the MemoModel's recorded results instead, and when those read
 * another slot (or several) too, it is left generic (null) in the entry, and the engine expands
 * it per state through the MemoModel. A patch a call writes to slot j
 * (ReadRecorder.writesOf) is resolved here to the patched tuple's id, once per entry; patches
 * to other slots stay patches, resolved per state.
 */
import type { EventBlock } from '../../machines/enumerate.ts';
import type { IommuEvent } from '../../machines/events.ts';
import type { Code, StateCodec } from './codec.ts';
import type { CallLeaf, MemoModel } from './memoModel.ts';
import { NO_SLOT } from './recorder.ts';
import { Grid } from './grid.ts';

/**
 * Entries live in one Int32Array (`arena`), so that expanding a state reads contiguous memory.
 * An entry of a group of m blocks is m offsets, one per block: GENERIC, or where the block's
 * calls start: their count, then per call OP_HEAD words (u, outcome, has a successor, number of
 * write words nw), the nw write words (pairs component, id), and the index of its broken step
 * invariants in `broken` (or -1).
 */
export const GENERIC = -1;

/** Two events are the same call: the same fields with the same values (events are flat). */
function sameEvent(a: IommuEvent, b: IommuEvent): boolean {
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  let count = 0;
  for (const k in x) {
    if (x[k] !== y[k]) return false;
    count++;
  }
  for (const _ in y) count--;
  return count === 0;
}
export const OP_HEAD = 4;

export class SlotCalls {
  /** Groups of blocks: group j < n holds the blocks about slot j, group n those about none. */
  readonly groups: number;
  /** Per block: its group, and its position among the group's blocks. */
  readonly groupOf: Int32Array;
  readonly rankOf: Int32Array;
  private readonly members: number[][];
  /** Per group: (global id, tuple key) -> entry offset. */
  private readonly index: Grid[];
  private made = 0;
  arena = new Int32Array(1 << 12);
  private used = 0;
  /** Broken step invariants of the calls in the arena. */
  readonly broken: NonNullable<CallLeaf['broken']>[] = [];

  constructor(
    blocks: readonly EventBlock[],
    private readonly codec: StateCodec,
  ) {
    const n = codec.n;
    this.groups = n + 1;
    this.index = Array.from({ length: n + 1 }, () => new Grid());
    this.members = Array.from({ length: n + 1 }, () => []);
    this.groupOf = new Int32Array(blocks.length);
    this.rankOf = new Int32Array(blocks.length);
    blocks.forEach((b, i) => {
      const g = b.slot ?? n;
      this.groupOf[i] = g;
      this.rankOf[i] = this.members[g]!.length;
      this.members[g]!.push(i);
    });
  }

  /** The tuple id an entry of group j is keyed by in the state `code`. */
  private tupleKey(j: number, code: Code): number {
    return j < this.codec.n ? code[1 + j]! : 0;
  }

  /** Where group j's entry for the state coded by `code` starts in the arena, or -1 when none is made yet. */
  get(j: number, code: Code): number {
    return this.index[j]!.get(code[0]!, this.tupleKey(j, code));
  }

  /**
   * Makes group j's entry from the state whose extended code is `code` and returns its offset;
   * `call` gives a call's result the way the engine's generic path does. May move the arena.
   */
  make(j: number, code: Code, memo: MemoModel, call: (u: number) => CallLeaf): number {
    const slot = j < this.codec.n ? j : NO_SLOT;
    const out: number[] = [];
    const members = this.members[j]!;
    const keep = (list: NonNullable<CallLeaf['broken']>) => this.broken.push(list) - 1;
    const starts = members.map((b): number => {
      const flat = memo.projectedBlock(b, code, slot);
      if (flat) {
        const at = members.length + out.length;
        memo.appendProjected(flat, code, out, keep);
        return at;
      }
      // A block that strayed from slot j on the projected path strays on the confined one too.
      const calls = (flat === null ? null : memo.confinedBlock(b, code, slot)) ?? this.recorded(b, code, slot, memo, call);
      if (calls === null) return GENERIC;
      const at = members.length + out.length;
      out.push(calls.length);
      for (const { u, leaf } of calls) out.push(u, leaf.outcome, leaf.succ ? 1 : 0, leaf.writes.length, ...leaf.writes, leaf.broken ? this.broken.push(leaf.broken) - 1 : -1);
      return at;
    });
    return this.store(j, code, starts, out);
  }

  /**
   * Makes group j's entry for the state coded by `code` from group i's entry at `from`, made for
   * a state with the same global part and the same tuple in slot i: its image under the
   * transposition (i j) = `perm` (see SharedEntries). Each block's calls are those the block
   * really gives for slot j (run on the confined state), each matched with the image of the
   * source call; writes go to the global part or the slot, their ids renamed by `perm` (`rename`:
   * component, id -> id), patches to other slots (resolved per state) moved to their slot's
   * image when they name no slot (`slotFreePatch`). Returns the offset, or -1 when anything does
   * not match (an id written to another slot, a patch that names a slot, a broken step
   * invariant, whose reason names a device, or a call that differs):
   * the caller then makes the entry.
   */
  copy(j: number, i: number, from: number, code: Code, memo: MemoModel, rename: (c: number, id: number) => number, slotFreePatch: (p: number) => boolean): number {
    const mine = this.members[j]!;
    if (mine.length !== this.members[i]!.length) return -1;
    const src = this.arena;
    const out: number[] = [];
    const starts: number[] = [];
    for (let r = 0; r < mine.length; r++) {
      let p = src[from + r]!;
      if (p === GENERIC) {
        starts.push(GENERIC);
        continue;
      }
      const us = memo.confinedEvents(mine[r]!, code, j);
      const count = src[p++]!;
      if (us === null || us.length !== count) return -1;
      starts.push(mine.length + out.length);
      out.push(count);
      for (let x = 0; x < count; x++) {
        const nw = src[p + 3]!;
        const u = memo.renamedEvent(src[p]!, i, j);
        if (src[p + OP_HEAD + nw]! >= 0 || !sameEvent(memo.events[u]!, us[x]!)) return -1;
        out.push(u, src[p + 1]!, src[p + 2]!, nw);
        for (let w = 0; w < nw; w += 2) {
          const c = src[p + OP_HEAD + w]!;
          const id = src[p + OP_HEAD + w + 1]!;
          // The image of the write under (i j): component 0 and slot i's as ids renamed, a patch
          // to another slot (resolved per state) moved to that slot's image, if it names no slot.
          const to = c === 1 + i ? 1 + j : c === 1 + j ? 1 + i : c;
          if (id >= 0 ? c !== 0 && c !== 1 + i : !slotFreePatch(~id)) return -1;
          out.push(to, id >= 0 ? rename(c, id) : id);
        }
        out.push(-1);
        p += OP_HEAD + nw + 1;
      }
    }
    return this.store(j, code, starts, out);
  }

  /** Appends an entry (block starts relative to the entry, then the calls) and indexes it. */
  private store(j: number, code: Code, starts: readonly number[], out: readonly number[]): number {
    const at = this.used;
    this.reserve(starts.length + out.length);
    const arena = this.arena;
    starts.forEach((st, r) => (arena[at + r] = st === GENERIC ? GENERIC : at + st));
    arena.set(out, at + starts.length);
    this.used += starts.length + out.length;
    this.index[j]!.set(code[0]!, this.tupleKey(j, code), at);
    this.made++;
    return at;
  }

  /**
   * Block b's calls from the MemoModel's recorded results, a patch to slot `slot` resolved to an
   * id; null when the block or one of its calls read another slot.
   */
  private recorded(b: number, code: Code, slot: number, memo: MemoModel, call: (u: number) => CallLeaf): { u: number; leaf: CallLeaf }[] | null {
    const readsOnly = (s: number) => s === NO_SLOT || s === slot;
    const block = memo.block(b, code);
    if (!readsOnly(block.slot)) return null;
    const calls: { u: number; leaf: CallLeaf }[] = [];
    for (const u of block.us) {
      const leaf = call(u);
      if (!readsOnly(leaf.slot)) return null;
      calls.push({ u, leaf: slot === NO_SLOT ? leaf : { ...leaf, writes: this.resolved(leaf.writes, slot, code) } });
    }
    return calls;
  }

  private reserve(words: number): void {
    if (this.used + words <= this.arena.length) return;
    let size = this.arena.length * 2;
    while (size < this.used + words) size *= 2;
    const arena = new Int32Array(size);
    arena.set(this.arena.subarray(0, this.used));
    this.arena = arena;
  }

  /** `w` with a patch written to slot j (if any) applied to slot j's tuple in `code`. */
  private resolved(w: Int32Array, j: number, code: Code): Int32Array {
    let patched: Int32Array | null = null;
    for (let p = 0; p < w.length; p += 2) {
      if (w[p] !== 1 + j || w[p + 1]! >= 0) continue;
      patched ??= w.slice();
      patched[p + 1] = this.codec.applyPatch(code[1 + j]!, ~w[p + 1]!);
    }
    return patched ?? w;
  }

  /** Entries made so far, and the arena's size in bytes. */
  get size(): number {
    return this.made;
  }
  get bytes(): number {
    return this.arena.byteLength;
  }
}
