/**
 * Canonical encoding of SystemState for one scenario: a state is 1 + N small integers,
 * the id of its global part (group, VFIO group file, iommufd groups, WARN) and the id of each device slot's
 * tuple. Ids come from intern tables (./internTable.ts) equal exactly when canonicalKey is, so
 * two states get the same code exactly when they get the same canonicalKey; the tables grow as
 * exploration meets new values, so every field's domain is the finite set the scenario reaches.
 *
 * Decoding returns the interned (deep-frozen) objects themselves, so the structural sharing of
 * the semantic functions makes most later lookups identity hits (a WeakMap), not serializations.
 */
import type { DeviceState, GroupState, SystemState, VfioGroupState } from '../../machines/state.ts';
import { canonicalKey } from '../serialize.ts';
import { IdTable } from './idTable.ts';
import { InternTable } from './internTable.ts';

/**
 * A state code: the global id, then one device-tuple id per slot (unpacked; ./packedStore.ts
 * packs it); an extended code (StateCodec.extend) continues with every device field's value id.
 */
export type Code = Int32Array;

const TOP_KEYS = 'devices,group,iommufd_groups,vfio_group,warn';

/** The global part of a state: everything but the device slots. */
export type GlobalPart = Pick<SystemState, 'group' | 'vfio_group' | 'iommufd_groups' | 'warn'>;

/** The global part of `next` differs from that of `s` (the semantic functions share unchanged parts). */
export const globalChanged = (next: GlobalPart, s: GlobalPart): boolean =>
  next.group !== s.group || next.vfio_group !== s.vfio_group || next.iommufd_groups !== s.iommufd_groups || next.warn !== s.warn;

export class StateCodec {
  /** Device slots, and elements per state: the global part, then one per device slot. */
  readonly n: number;
  readonly k: number;
  /** Counts the global and device-tuple ids given so far: a change means an id may need a wider field. */
  created = 0;
  readonly groups: InternTable<GroupState>;
  readonly vfios: InternTable<VfioGroupState>;
  readonly devices: InternTable<DeviceState>;
  /** The keys of a device tuple, in the model's own order (every tuple has exactly these). */
  readonly deviceKeyOrder: readonly string[];
  private readonly warns = new IdTable<string | null, string | null>();
  /** Per patch: device-tuple id -> patched tuple id + 1 (0: not computed yet). */
  private readonly patchMemo: Int32Array[] = [];
  private readonly patches = new IdTable<string, Partial<DeviceState>>((p) => {
    this.patchMemo.push(new Int32Array(64));
    return Object.freeze({ ...p });
  });
  private readonly igroups = new IdTable<string, SystemState['iommufd_groups']>((v) => Object.freeze(v));
  /** Global tuple (group id, vfio id, iommufd-groups id, warn id) -> global id, and back. */
  private readonly globals = new Map<number, number>();
  readonly globalParts: [number, number, number, number][] = [];
  constructor(init: SystemState) {
    StateCodec.assertShape(init);
    this.n = init.devices.length;
    this.k = 1 + this.n;
    const fields = (o: object | undefined) => Object.keys(o ?? {}).sort();
    this.groups = new InternTable(fields(init.group));
    this.vfios = new InternTable(fields(init.vfio_group));
    this.deviceKeyOrder = Object.keys(init.devices[0] ?? {});
    this.devices = new InternTable(fields(init.devices[0]), () => this.created++, true);
  }

  /** The device fields, in the order of StateCodec.valueAt's field numbers. */
  get fields(): readonly string[] {
    return this.devices.fields;
  }

  /**
   * Read components, for ReadTrie: 0 is the global part, 1..n a whole device slot, and
   * n + 1 + j * F + f field f of slot j. The id of component c in the state coded by `code`.
   */
  valueAt(c: number, code: Code): number {
    if (c <= this.n) return code[c]!;
    const F = this.fields.length;
    const x = c - this.n - 1;
    const j = (x / F) | 0;
    return this.devices.fieldVals[code[1 + j]! * F + (x - j * F)]!;
  }

  /** Length of an extended code: the code, then every field's value id (component numbers as in valueAt). */
  get extLength(): number {
    return this.k + this.n * this.fields.length;
  }

  /** Fills code[k ..] with the field value ids of the slots in code[0 .. k): an extended code. */
  extend(code: Code): void {
    const F = this.fields.length;
    const vals = this.devices.fieldVals;
    for (let j = 0; j < this.n; j++) {
      const base = code[1 + j]! * F;
      const at = this.k + j * F;
      for (let f = 0; f < F; f++) code[at + f] = vals[base + f]!;
    }
  }

  /** The component number of field f of slot j. */
  fieldComponent(j: number, f: number): number {
    return this.n + 1 + j * this.fields.length + f;
  }

  static assertShape(s: SystemState): void {
    const keys = Object.keys(s).sort().join(',');
    if (keys !== TOP_KEYS) throw new Error(`exploreFast: SystemState has fields {${keys}}, the packed codec knows {${TOP_KEYS}}`);
  }

  private warnId(w: string | null): number {
    return this.warns.idOf(w, w);
  }

  private igroupsId(v: SystemState['iommufd_groups']): number {
    return this.igroups.idOf(canonicalKey(v), v);
  }

  /** The id of a device patch (a few fields with new values; see ReadRecorder). */
  patchId(p: Partial<DeviceState>): number {
    return this.patches.idOf(canonicalKey(p), p);
  }

  /** The id of device tuple `t` with patch `p` applied (memoized). */
  applyPatch(t: number, p: number): number {
    let memo = this.patchMemo[p]!;
    if (t >= memo.length) {
      const bigger = new Int32Array(Math.max(memo.length * 2, t + 1));
      bigger.set(memo);
      this.patchMemo[p] = memo = bigger;
    }
    const hit = memo[t]!;
    if (hit !== 0) return hit - 1;
    const id = this.devices.id({ ...this.devices.values[t]!, ...this.patches.values[p]! }, t);
    memo[t] = id + 1;
    return id;
  }

  /** The value a write (component c, v) gives component c of `code`: v, or for a patch (v < 0) the patched tuple's id. */
  written(code: Code, c: number, v: number): number {
    return v >= 0 ? v : this.applyPatch(code[c]!, ~v);
  }

  /** The largest global id and device-tuple id given so far. */
  get maxGlobalId(): number {
    return this.globalParts.length - 1;
  }
  get maxDeviceId(): number {
    return this.devices.values.length - 1;
  }

  /** The id of a global part; `like` (optional) the global id it was copied from. */
  globalId(s: GlobalPart, like = -1): number {
    const parts = like >= 0 ? this.globalParts[like]! : null;
    const g = this.groups.id(s.group, parts ? parts[0] : -1);
    const v = this.vfios.id(s.vfio_group, parts ? parts[1] : -1);
    const i = parts && this.igroups.values[parts[2]] === s.iommufd_groups ? parts[2] : this.igroupsId(s.iommufd_groups);
    const w = this.warnId(s.warn);
    if (g >= 1 << 21 || v >= 1024 || i >= 1024 || w >= 1024) {
      throw new Error('exploreFast: more than 2^21 group values, or 1024 distinct VFIO-group, iommufd-group or WARN values');
    }
    const key = ((g * 1024 + v) * 1024 + i) * 1024 + w;
    let id = this.globals.get(key);
    if (id === undefined) {
      id = this.globalParts.length;
      this.globalParts.push([g, v, i, w]);
      this.created++;
      this.globals.set(key, id);
    }
    return id;
  }

  /** The id of device tuple d; `like` (optional) the id of the tuple it was copied from. */
  deviceId(d: DeviceState, like = -1): number {
    return this.devices.id(d, like);
  }

  /** The global part of global id `id`. */
  globalOf(id: number): GlobalPart {
    const [g, v, i, w] = this.globalParts[id]!;
    return { group: this.groups.values[g]!, vfio_group: this.vfios.values[v]!, iommufd_groups: this.igroups.values[i]!, warn: this.warns.values[w]! };
  }

  /** Writes the code of `s` into out[at .. at+k). */
  encode(s: SystemState, out: Code, at = 0): void {
    if (s.devices.length !== this.n) throw new Error(`exploreFast: state has ${s.devices.length} device slots, scenario ${this.n}`);
    out[at] = this.globalId(s);
    for (let i = 0; i < this.n; i++) out[at + 1 + i] = this.deviceId(s.devices[i]!);
  }

  /** The state whose code is keys[at .. at+k): built from the interned objects. */
  decode(code: Code, at = 0): SystemState {
    const devices: DeviceState[] = new Array(this.n);
    for (let i = 0; i < this.n; i++) devices[i] = this.devices.values[code[at + 1 + i]!]!;
    const g = this.globalOf(code[at]!);
    return { group: g.group, devices, vfio_group: g.vfio_group, iommufd_groups: g.iommufd_groups, warn: g.warn };
  }
}
