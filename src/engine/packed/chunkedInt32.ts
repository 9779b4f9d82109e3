/**
 * Per-state integers (exploreFast's parent ids) indexed by state id: growing Int32 storage in
 * fixed chunks (no copying, at most one chunk unused).
 */
export class ChunkedInt32 {
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
