/**
 * The visited set. Each state's code (a global id and one device-tuple id per slot) is packed
 * into W 32-bit words, `bitsG` bits for the global id and `bitsD` bits per slot (no field
 * crosses a word), stored once in fixed-size chunks indexed by state id (BFS order); an
 * open-addressing hash table (linear probing, Int32Array of id + 1, load at most 0.7) indexes
 * them. While ids fit in 26 bits, each table entry also carries 6 bits of the code's hash, so a
 * probe compares a stored code only when those bits agree (about 1 in 64 otherwise): most
 * probes then stay in the table instead of reaching into the code chunks. No full snapshot is kept. When an id outgrows its field, widen() repacks every stored
 * code with wider fields (ids only grow when the engine meets a new value, mostly early).
 */
import type { Code } from './codec.ts';

const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const MAX_LOAD = 0.7;
/** Table entries: id + 1 in the low ID_BITS bits, the top 6 bits of the hash above (while ids fit). */
const ID_BITS = 26;
const ID_MASK = (1 << ID_BITS) - 1;

/** Where each component lives: word index, shift, mask. */
export class Layout {
  readonly words: number;
  readonly word: Int32Array;
  readonly shift: Int32Array;
  readonly mask: Uint32Array;

  constructor(
    readonly k: number,
    readonly bitsG: number,
    readonly bitsD: number,
  ) {
    this.word = new Int32Array(k);
    this.shift = new Int32Array(k);
    this.mask = new Uint32Array(k);
    let w = 0;
    let used = 0;
    for (let c = 0; c < k; c++) {
      const bits = c === 0 ? bitsG : bitsD;
      if (used + bits > 32) {
        w++;
        used = 0;
      }
      this.word[c] = w;
      this.shift[c] = used;
      this.mask[c] = bits === 32 ? 0xffffffff : (1 << bits) - 1;
      used += bits;
    }
    this.words = w + 1;
  }

  fits(maxGlobal: number, maxDevice: number): boolean {
    return maxGlobal <= this.mask[0]! && (this.k === 1 || maxDevice <= this.mask[1]!);
  }
}

const bitsFor = (max: number): number => Math.max(1, 32 - Math.clz32(max));

export class PackedStore {
  layout: Layout;
  protected chunks: Uint32Array[] = [];
  protected table: Int32Array;
  protected tableMask: number;
  /** The table is kept (see dropIndex). */
  private indexed = true;
  /** Entries carry hash tags (ids below 2^26 - 1). */
  private tagged = true;
  count = 0;

  constructor(
    readonly k: number,
    maxGlobal: number,
    maxDevice: number,
    /** Entries stop carrying hash tags once this many states are stored (a test sets it low). */
    private readonly tagUntil = ID_MASK - 1,
    /** 32-bit words per table entry. */
    entryWords = 1,
  ) {
    this.layout = new Layout(k, bitsFor(maxGlobal), bitsFor(maxDevice));
    this.table = new Int32Array(entryWords << 12);
    this.tableMask = this.table.length - 1;
  }

  get words(): number {
    return this.layout.words;
  }

  /** Packs code[from .. from + k) into out[at .. at + words). */
  pack(code: Code, out: Uint32Array, from = 0, at = 0): void {
    const L = this.layout;
    out.fill(0, at, at + L.words);
    for (let c = 0; c < this.k; c++) {
      const w = at + L.word[c]!;
      out[w] = (out[w]! | (code[from + c]! << L.shift[c]!)) >>> 0;
    }
  }

  /** Sets component `c` of the packed code at out[at ..] to `id`. */
  put(out: Uint32Array, c: number, id: number, at = 0): void {
    const L = this.layout;
    const w = at + L.word[c]!;
    out[w] = ((out[w]! & ~(L.mask[c]! << L.shift[c]!)) | (id << L.shift[c]!)) >>> 0;
  }

  /** Copies the packed code of state `id` into out[0 .. words). */
  load(id: number, out: Uint32Array): void {
    const W = this.layout.words;
    const chunk = this.chunks[id >>> CHUNK_BITS]!;
    const at = (id & (CHUNK - 1)) * W;
    for (let w = 0; w < W; w++) out[w] = chunk[at + w]!;
  }

  /** Writes the code of state `id` into `code`. */
  unpack(id: number, code: Code): void {
    const L = this.layout;
    const chunk = this.chunks[id >>> CHUNK_BITS]!;
    const at = (id & (CHUNK - 1)) * L.words;
    for (let c = 0; c < this.k; c++) code[c] = (chunk[at + L.word[c]!]! >>> L.shift[c]!) & L.mask[c]!;
  }

  /** The hash of the packed code a[at .. at + words) (`seed` picks one of a family). */
  hash(a: Uint32Array, at: number, seed = 0x9e3779b9): number {
    let h = seed;
    for (let w = 0; w < this.layout.words; w++) {
      h = Math.imul(h ^ a[at + w]!, 0x85ebca6b);
      h ^= h >>> 13;
    }
    h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  }

  /**
   * Reads, for each of `count` hashes, the table entry where its probe starts and the stored code
   * it names when the tag agrees: loads that do not depend on each other, so the processor
   * overlaps their cache misses; the findOrAdd calls that follow then find them cached. Returns
   * a value only so that the reads are not optimised away.
   */
  touch(hashes: Uint32Array, count: number): number {
    const table = this.table;
    const mask = this.tableMask;
    let x = 0;
    for (let i = 0; i < count; i++) x ^= table[hashes[i]! & mask]!;
    if (!this.tagged) return x;
    const W = this.layout.words;
    for (let i = 0; i < count; i++) {
      const h = hashes[i]!;
      const v = table[h & mask]!;
      if (v === 0 || (v & ~ID_MASK) !== (h >>> ID_BITS) << ID_BITS) continue;
      const id = (v & ID_MASK) - 1;
      x ^= this.chunks[id >>> CHUNK_BITS]![(id & (CHUNK - 1)) * W]!;
    }
    return x;
  }

  /**
   * The id of packed code a[0 .. words): ~newId (< 0) when just added, else >= 0: the existing
   * id (a FingerprintStore answers 0: it keeps no ids in its table).
   */
  findOrAdd(a: Uint32Array): number {
    return this.findOrAddAt(a, 0, this.hash(a, 0));
  }

  /** findOrAdd for the packed code a[at .. at + words), whose hash is `h`. */
  findOrAddAt(a: Uint32Array, at: number, h: number): number {
    const W = this.layout.words;
    const table = this.table;
    const tagged = this.tagged;
    const tag = tagged ? (h >>> ID_BITS) << ID_BITS : 0;
    let slot = h & this.tableMask;
    for (;;) {
      const v = table[slot]!;
      if (v === 0) break;
      if (!tagged || (v & ~ID_MASK) === tag) {
        const id = (tagged ? v & ID_MASK : v) - 1;
        const chunk = this.chunks[id >>> CHUNK_BITS]!;
        const cat = (id & (CHUNK - 1)) * W;
        let w = 0;
        while (w < W && chunk[cat + w] === a[at + w]) w++;
        if (w === W) return id;
      }
      slot = (slot + 1) & this.tableMask;
    }
    const id = this.append(a, at);
    table[slot] = tag | (id + 1);
    if (tagged && this.count >= this.tagUntil) {
      this.tagged = false;
      this.rehash(table.length);
    } else if (this.count > table.length * MAX_LOAD) this.rehash(table.length * 2);
    return ~id;
  }

  /**
   * Drops the hash table: the store keeps the codes by id (the BFS queue, traces) while another
   * answers membership (exploreFast's `workers`); findOrAdd must not be called after this.
   */
  dropIndex(): void {
    this.indexed = false;
    this.table = new Int32Array(2);
    this.tableMask = 0;
  }

  /** Stores the packed code a[at .. at + words) under the next id, and returns that id. */
  append(a: Uint32Array, at: number): number {
    const W = this.layout.words;
    const id = this.count++;
    const ci = id >>> CHUNK_BITS;
    if (ci === this.chunks.length) this.chunks.push(new Uint32Array(CHUNK * W));
    this.chunks[ci]!.set(a.subarray(at, at + W), (id & (CHUNK - 1)) * W);
    return id;
  }

  /** The packed code of state `id`: its chunk, and where in it the code starts. */
  protected codeAt(id: number): [Uint32Array, number] {
    return [this.chunks[id >>> CHUNK_BITS]!, (id & (CHUNK - 1)) * this.layout.words];
  }

  /** Rebuilds the table from the stored codes (after widen() repacked them). */
  protected reindex(): void {
    this.rehash(this.table.length);
  }

  protected rehash(size: number): void {
    const table = new Int32Array(size);
    const mask = size - 1;
    const W = this.layout.words;
    const tagged = this.tagged;
    for (let id = 0; id < this.count; id++) {
      const h = this.hash(this.chunks[id >>> CHUNK_BITS]!, (id & (CHUNK - 1)) * W);
      let slot = h & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = (tagged ? (h >>> ID_BITS) << ID_BITS : 0) | (id + 1);
    }
    this.table = table;
    this.tableMask = mask;
  }

  /** Makes room for ids up to the given maxima (repacking every stored code); true when it changed the layout. */
  widen(maxGlobal: number, maxDevice: number): boolean {
    if (this.layout.fits(maxGlobal, maxDevice)) return false;
    const old = this.layout;
    const code = new Int32Array(this.k);
    const next = new Layout(this.k, Math.max(old.bitsG, bitsFor(maxGlobal)), Math.max(old.bitsD, bitsFor(maxDevice)));
    const chunks: Uint32Array[] = [];
    const packed = new Uint32Array(next.words);
    for (let id = 0; id < this.count; id++) {
      this.unpack(id, code);
      this.layout = next;
      this.pack(code, packed);
      this.layout = old;
      if ((id & (CHUNK - 1)) === 0) chunks.push(new Uint32Array(CHUNK * next.words));
      chunks[id >>> CHUNK_BITS]!.set(packed, (id & (CHUNK - 1)) * next.words);
    }
    this.layout = next;
    this.chunks = chunks;
    if (this.indexed) this.reindex();
    return true;
  }

  /** Bytes held: the code chunks and the hash table (allocated, not just used). */
  bytes(): number {
    return this.chunks.reduce((n, c) => n + c.byteLength, 0) + this.table.byteLength;
  }
}
