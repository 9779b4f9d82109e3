/**
 * The state invariants' scans (src/invariants/deviceScan.ts) cached per component value, for
 * exploreFast: a state's verdict is the chain start(global) -> device(acc, slot 0) -> ... ->
 * end(acc), each step cached by what it read (./recorder.ts). On a miss the scan itself runs, on
 * a recording view of the state: the invariants stay the only definition of the verdicts.
 *
 * A step that read nothing beyond the global part and its own slot is a function of (accumulator,
 * global id, tuple id) and is kept in a flat map keyed by those: one lookup per slot. A miss runs
 * the step first on the state confined to those (./confined.ts), which tells that without
 * recording. A step that looked further runs again on a recording view and goes to a ReadTrie
 * keyed by everything it read (correct, only slower).
 */
import type { DeviceScan, ProductScan, ScanPart, ScanValue } from '../../invariants/deviceScan.ts';
import type { Scenario } from '../../machines/scenario.ts';
import type { Code, StateCodec } from './codec.ts';
import type { ConfinedStates } from './confined.ts';
import { GlobalProjection, recordGlobal } from './globalReads.ts';
import { Grid } from './grid.ts';
import { IdTable } from './idTable.ts';
import { NO_SLOT, type ReadRecorder } from './recorder.ts';
import { ReadTrie } from './readTrie.ts';
import { TripleIndex } from './tripleIndex.ts';

/** State invariants a state breaks: [index into the scanned invariants, reason]; empty when none. */
export type Reasons = readonly (readonly [number, string])[];
const NO_REASONS: Reasons = [];

export class ScanCache {
  private readonly accIds = new IdTable<string, ScanValue[]>();
  private readonly accs = this.accIds.values;
  private readonly reasonLists: Reasons[] = [];
  /** Steps that read only the global part (and their own slot): (0, global id) -> acc id, ... */
  private readonly startIdx = new Grid();
  /** (acc id * n + slot, global id, tuple id) -> acc id. */
  private readonly deviceIdx = new TripleIndex();
  /** (acc id, global id) -> index into reasonLists. */
  private readonly endIdx = new Grid();
  /** Steps that read more. */
  private readonly startTrie = new ReadTrie<number>();
  private readonly deviceTrie = new ReadTrie<number>();
  private readonly endTrie = new ReadTrie<number>();

  constructor(
    private readonly rec: ReadRecorder,
    private readonly confined: ConfinedStates,
    private readonly codec: StateCodec,
    private readonly invariantScans: readonly DeviceScan[],
    private readonly scenario: Scenario,
  ) {
    // A product scan's parts are columns of their own (cached apart); the others one column each.
    for (const sc of invariantScans) {
      const parts = (sc as Partial<ProductScan>).parts;
      this.verdicts.push({ scan: sc, from: this.scans.length, product: parts !== undefined });
      this.scans.push(...(parts ?? [sc]));
    }
  }

  /** The accumulator's columns: each scan, or each part of a product scan. */
  private readonly scans: ScanPart[] = [];
  /** Per invariant: its scan, its first column, and whether it spans its parts' columns. */
  private readonly verdicts: { scan: DeviceScan; from: number; product: boolean }[] = [];

  private accId(acc: ScanValue[]): number {
    return this.accIds.idOf(JSON.stringify(acc), acc);
  }

  /**
   * The id of `next`, an accumulator computed from accumulator `a`: a step changes a few
   * elements and keeps the rest (the same values, ===), so its id is a few withElement lookups
   * from a's, where interning the whole accumulator would serialize every scan's value.
   */
  private nextAccId(a: number, next: ScanValue[]): number {
    const prev = this.accs[a]!;
    let id = a;
    for (let f = 0; f < next.length; f++) if (next[f] !== prev[f]) id = this.withElement(id, f, this.valueId(next[f]!));
    return id;
  }


  /** The state invariants (scans) the state coded by `code` breaks. */
  reasons(code: Code): Reasons {
    const n = this.codec.n;
    const g = code[0]!;
    let a = this.startIdx.get(0, g);
    if (a < 0) a = this.slow(this.startTrie, 0, code, NO_SLOT, (s) => this.accId(this.scans.map((sc) => sc.start(s, this.scenario))), (v) => this.startIdx.set(0, g, v));
    let pg = this.projection.idOf(g);
    for (let i = 0; i < n; i++) {
      const root = a * n + i;
      let b = this.byProjection.get(root, pg, code[1 + i]!);
      if (b < 0) b = this.deviceIdx.get(root, g, code[1 + i]!);
      if (b < 0) {
        const version = this.projection.version;
        b = this.byFields(a, i, code);
        // The places grew: projected ids are renumbered.
        if (this.projection.version !== version) pg = this.projection.idOf(g);
      }
      if (b < 0) {
        const prev = this.accs[a]!;
        b = this.slow(this.deviceTrie, root, code, i, (s) => this.nextAccId(a, this.scans.map((sc, f) => sc.device(prev[f]!, s, i, this.scenario))), (v) => this.deviceIdx.add(root, g, code[1 + i]!, v));
      }
      a = b;
    }
    let r = this.endIdx.get(a, g);
    if (r < 0) {
      const acc = this.accs[a]!;
      r = this.slow(this.endTrie, a, code, NO_SLOT, (s) => this.reasonsId(acc, s), (v) => this.endIdx.set(a, g, v));
    }
    return this.reasonLists[r]!;
  }

  /** Global parts projected onto the fields the device steps read (./globalReads.ts). */
  private readonly projection = new GlobalProjection((g) => this.codec.globalOf(g));
  /** (acc id * n + slot, projected global id, tuple id) -> acc id. */
  private byProjection = new TripleIndex();

  /**
   * Column f's projected id of global part g. A column's places are among the union's (the
   * union learns every place a column learns), so it is a function of the union's projected
   * id: computed once per (column, union id), not once per global part.
   */
  private columnId(f: number, g: number): number {
    const u = this.projection.idOf(g);
    let ids = this.columnIds[f];
    if (ids === undefined || ids.length <= u) {
      const grown = new Int32Array(Math.max(64, 2 * (u + 1)));
      if (ids) grown.set(ids);
      this.columnIds[f] = ids = grown;
    }
    if (ids[u] === 0) ids[u] = this.columnProjections[f]!.idOf(g) + 1;
    return ids[u]! - 1;
  }
  /** Per column: union projected id -> column projected id + 1 (0: not computed); reset when any places grow. */
  private columnIds: Int32Array[] = [];

  /** Per column: the global part projected onto the places its own steps read. */
  private readonly columnProjections: GlobalProjection[] = [];
  /** Per column: (value id * scans + f) * n + slot, the column's projected global id, tuple id) -> value id. */
  private perScan = new TripleIndex();
  /** The scans' values met, by id. */
  private readonly scanValues = new IdTable<string, ScanValue>();
  /** Per accumulator id * scans + f: the id of its element f + 1 (0: not computed yet). */
  private elementIds = new Int32Array(1024);

  private valueId(v: ScanValue): number {
    return this.scanValues.idOf(v !== null && typeof v === 'object' ? JSON.stringify(v) : `${typeof v}:${String(v)}`, v);
  }

  private elementId(a: number, f: number): number {
    const at = a * this.scans.length + f;
    if (at >= this.elementIds.length) {
      const grown = new Int32Array(Math.max(this.elementIds.length * 2, at + 1));
      grown.set(this.elementIds);
      this.elementIds = grown;
    }
    if (this.elementIds[at] === 0) this.elementIds[at] = this.valueId(this.accs[a]![f]!) + 1;
    return this.elementIds[at]! - 1;
  }

  /**
   * The device step of slot i from accumulator a in the state coded by `code`, keyed by the
   * places of the global part the device steps read (./globalReads.ts) rather than by the global
   * id: each scan's step from its own element of the accumulator (so that the scans' values need
   * not have met in this combination before), run on the state confined to slot i with a
   * recording view of the global part on a miss. -1 when a step looked at another slot (the
   * caller's slow path takes it).
   */
  private byFields(a: number, i: number, code: Code): number {
    const n = this.codec.n;
    const S = this.scans.length;
    const t = code[1 + i]!;
    const g = code[0]!;
    const prev = this.accs[a]!;
    let id = a;
    for (let f = 0; f < S; f++) {
      const from = this.elementId(a, f);
      const key = (from * S + f) * n + i;
      const columnOf = (this.columnProjections[f] ??= new GlobalProjection((x) => this.codec.globalOf(x)));
      let r = this.perScan.get(key, this.columnId(f, g), t);
      if (r < 0) {
        const { view, places } = recordGlobal(this.codec.globalOf(g));
        const v = this.scans[f]!.device(prev[f]!, this.confined.state(code, i, view), i, this.scenario);
        if (this.confined.strayed) return -1;
        const unionGrew = this.projection.learn(places);
        const columnGrew = columnOf.learn(places);
        if (unionGrew) this.byProjection = new TripleIndex();
        if (columnGrew) this.perScan = new TripleIndex();
        if (unionGrew || columnGrew) this.columnIds = [];
        r = this.valueId(v);
        this.perScan.add(key, this.columnId(f, g), t, r);
      }
      if (r !== from) id = this.withElement(id, f, r);
    }
    this.byProjection.add(a * n + i, this.projection.idOf(g), t, id);
    return id;
  }

  /** Per (acc id * scans + f): value id -> the id of that accumulator with element f set to that value. */
  private readonly withValue = new Map<number, Map<number, number>>();

  /** The id of accumulator `id` with element f replaced by the value with id `r`. */
  private withElement(id: number, f: number, r: number): number {
    const key = id * this.scans.length + f;
    let m = this.withValue.get(key);
    if (m === undefined) this.withValue.set(key, (m = new Map()));
    let to = m.get(r);
    if (to === undefined) {
      const acc = this.accs[id]!.slice();
      acc[f] = this.scanValues.values[r]!;
      m.set(r, (to = this.accId(acc)));
    }
    return to;
  }


  private reasonsId(acc: ScanValue[], s: Parameters<DeviceScan['end']>[1]): number {
    const out: [number, string][] = [];
    this.verdicts.forEach(({ scan, from, product }, f) => {
      const value = product ? acc.slice(from, from + (scan as ProductScan).parts.length) : acc[from]!;
      const reason = scan.end(value, s, this.scenario);
      if (reason !== null) out.push([f, reason]);
    });
    this.reasonLists.push(out.length ? out : NO_REASONS);
    return this.reasonLists.length - 1;
  }

  /**
   * A step not in its flat map: from the trie, or run on a recording view; kept in the flat map
   * (`keep`) when it read nothing beyond the global part and slot `slot`, else in the trie.
   */
  private slow(trie: ReadTrie<number>, root: number, code: Code, slot: number, run: (s: Parameters<DeviceScan['end']>[1]) => number, keep: (v: number) => void): number {
    const hit = trie.get(root, code);
    if (hit !== undefined) return hit;
    // First on the state confined to the global part and slot `slot`: when the step looked at
    // nothing else, its value is a function of the flat map's key.
    const v0 = run(this.confined.state(code, slot));
    if (!this.confined.strayed) {
      keep(v0);
      return v0;
    }
    const view = this.rec.begin(code, 0);
    const v = run(view.state);
    const path = this.rec.end();
    const read = this.rec.slotRead();
    if (read === NO_SLOT || read === slot) keep(v);
    else trie.set(root, path, v);
    return v;
  }
}
