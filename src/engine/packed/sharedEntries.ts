/**
 * Per-slot entries shared across the slots of a symmetry class (./slotCalls.ts,
 * ./symmetry.ts). Slot j's entry is a function of (global id, slot j's tuple id); under symmetry
 * the canonical states put equal tuples at ever different positions, so the same pair is met at
 * many slots of a class, and making each entry runs its blocks and calls again. When neither the
 * tuple nor the global part names slot i or j (DeviceSymmetry.movable), the transposition
 * (i j) maps the global part onto itself, so slot j's entry is the image of slot i's: the same
 * calls with `dev` moved, the same outcomes, the writes to slot j instead of slot i, every
 * written id renamed by (i j). SlotCalls.copy builds that image and checks it against the
 * events the blocks really give for slot j; anything it cannot map makes the entry anew.
 */
import type { Code } from './codec.ts';
import { Grid } from './grid.ts';
import type { MemoModel } from './memoModel.ts';
import type { SlotCalls } from './slotCalls.ts';
import type { DeviceSymmetry } from './symmetry.ts';

export class SharedEntries {
  /** Per class: (global id, tuple id) -> index into `from` / `at`. */
  private readonly index: Grid[];
  private readonly from: number[] = [];
  private readonly at: number[] = [];
  private readonly perms = new Map<number, number[]>();
  /** Entries copied from a class-mate's so far. */
  copied = 0;

  constructor(
    private readonly sym: DeviceSymmetry,
    private readonly slots: SlotCalls,
    private readonly memo: MemoModel,
    private readonly n: number,
  ) {
    this.index = sym.classes.map(() => new Grid());
  }

  /** Slot j's entry for the state coded by `code`, copied from a class-mate's, or -1. */
  find(j: number, code: Code): number {
    const c = this.sym.classOf(j);
    if (c < 0 || !this.sym.movable(code, j)) return -1;
    const k = this.index[c]!.get(code[0]!, code[1 + j]!);
    if (k < 0 || this.from[k] === j) return -1;
    const i = this.from[k]!;
    const key = i * this.n + j;
    let perm = this.perms.get(key);
    if (perm === undefined) this.perms.set(key, (perm = this.sym.transposition(i, j)));
    const p = perm;
    const e = this.slots.copy(j, i, this.at[k]!, code, this.memo, (comp, id) => (comp === 0 ? this.sym.renamedGlobal(id, p) : this.sym.renamedTuple(id, p)), (x) => this.sym.slotFreePatch(x));
    if (e >= 0) this.copied++;
    return e;
  }

  /** Keeps slot j's entry at `at`, made for the state coded by `code`, for its class-mates. */
  add(j: number, code: Code, at: number): void {
    const c = this.sym.classOf(j);
    if (c < 0 || !this.sym.movable(code, j) || this.index[c]!.get(code[0]!, code[1 + j]!) >= 0) return;
    this.index[c]!.set(code[0]!, code[1 + j]!, this.from.length);
    this.from.push(j);
    this.at.push(at);
  }
}
