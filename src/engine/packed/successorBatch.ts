/**
 * The successors of one state, collected in order before they are looked up in the visited set.
 * In a large set nearly every lookup misses the processor's caches; hashing the whole batch first
 * and touching each one's table entry (PackedStore.touch) issues those misses back to back, where
 * the processor overlaps them. The lookups then run one by one, in order, exactly as without the
 * batch: the same ids in the same order.
 */
import type { OnAnswer, ShardedVisited } from '../parallel/shardedVisited.ts';
import type { PackedStore } from './packedStore.ts';

export class SuccessorBatch {
  /** Successors collected. */
  length = 0;
  /** Their packed codes, store.words words each; add() gives the offset of the next. */
  readonly packed: Uint32Array;
  private readonly hashes: Uint32Array;

  constructor(
    /** The most words a packed code can take (the elements per state). */
    maxWords: number,
    /** Successors a batch holds before it must be looked up. */
    readonly capacity = 256,
  ) {
    this.packed = new Uint32Array(capacity * maxWords);
    this.hashes = new Uint32Array(capacity);
  }

  get full(): boolean {
    return this.length === this.capacity;
  }

  /** Offset in `packed` where the caller writes the next successor's code, of `words` words. */
  add(words: number): number {
    return this.length++ * words;
  }

  /**
   * Looks every successor up in `store` (adding the new ones), in order: `each(r)` gets
   * findOrAdd's result and stops the batch by returning false. Empties the batch; false when
   * stopped. The codes must be packed in the store's current layout.
   */
  lookUp(store: PackedStore, each: (r: number) => boolean): boolean {
    const n = this.length;
    this.length = 0;
    const W = store.words;
    for (let i = 0; i < n; i++) this.hashes[i] = store.hash(this.packed, i * W);
    this.sink ^= store.touch(this.hashes, n);
    for (let i = 0; i < n; i++) if (!each(store.findOrAddAt(this.packed, i * W, this.hashes[i]!))) return false;
    return true;
  }

  /**
   * Sends every successor, in order, to the visited-set shards (packed by `store`), as
   * successors of state `parent` at depth `depth`; `each` gets the answers consumed on the way
   * (to make room). Empties the batch; false when `each` stopped.
   */
  send(store: PackedStore, visited: ShardedVisited, parent: number, depth: number, each: OnAnswer): boolean {
    const n = this.length;
    this.length = 0;
    const W = store.words;
    for (let i = 0; i < n; i++) if (!visited.request(this.packed, i * W, W, parent, depth, each)) return false;
    visited.publish(false);
    return true;
  }

  /** Keeps touch()'s reads observable. */
  private sink = 0;
}
