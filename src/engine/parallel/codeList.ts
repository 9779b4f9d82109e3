/**
 * The exploring thread's store under `--workers`: the packed codes by state id (the BFS queue,
 * and what traces are rebuilt from), without a hash table of its own: membership is the
 * shards' business (./shardedVisited.ts).
 */
import { PackedStore } from '../packed/packedStore.ts';

export class CodeList extends PackedStore {
  /** Appends the packed code a[at .. at + words) as the next id; returns that id. */
  push(a: Uint32Array, at: number): number {
    return this.append(a, at);
  }

  override findOrAddAt(): number {
    throw new Error('CodeList: membership is answered by the visited-set shards');
  }

  /** No table to rebuild after widen(). */
  protected override reindex(): void {}

  override bytes(): number {
    return super.bytes() - this.table.byteLength;
  }
}
