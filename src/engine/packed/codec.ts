/**
 * Canonical encoding of SystemState for one scenario: a state is 1 + N small integers,
 * the id of its global part (every IOMMU group, VFIO group file and container, the iommufd
 * groups, WARN) and the id of each device slot's tuple. Ids come from intern tables (./internTable.ts) equal exactly when canonicalKey is, so
 * two states get the same code exactly when they get the same canonicalKey; the tables grow as
 * exploration meets new values, so every field's domain is the finite set the scenario reaches.
 *
 * Decoding returns the interned (deep-frozen) objects themselves, so the structural sharing of
 * the semantic functions makes most later lookups identity hits (a WeakMap), not serializations.
 */
import { PATCH_DEVICE, type ContainerState, type DeviceState, type GroupState, type SystemState, type VfioGroupState } from '../../machines/state.ts';
import { canonicalKey } from '../serialize.ts';
import { IdTable } from './idTable.ts';
import { InternTable } from './internTable.ts';
import { TupleTable } from './tupleTable.ts';

/**
 * A state code: the global id, then one device-tuple id per slot (unpacked; ./packedStore.ts
 * packs it); an extended code (StateCodec.extend) continues with every device field's value id.
 */
export type Code = Int32Array;

const TOP_KEYS = 'containers,devices,groups,iommufd_groups,vfio_groups,warn';

/** The global part of a state: everything but the device slots. */
export type GlobalPart = Pick<SystemState, 'groups' | 'vfio_groups' | 'containers' | 'iommufd_groups' | 'warn'>;

/** The keys of the global part, in the order the recorder's getters and decode use them. */
export const GLOBAL_KEYS = ['groups', 'vfio_groups', 'containers', 'iommufd_groups', 'warn'] as const;

/** The global part of `next` differs from that of `s` (the semantic functions share unchanged parts). */
export const globalChanged = (next: GlobalPart, s: GlobalPart): boolean =>
  next.groups !== s.groups || next.vfio_groups !== s.vfio_groups || next.containers !== s.containers || next.iommufd_groups !== s.iommufd_groups || next.warn !== s.warn;

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
  private readonly containerLists = new IdTable<string, SystemState['containers']>((v) => Object.freeze(v));
  /** IOMMU groups G; a global tuple is (group id per group, vfio id per group, containers id, iommufd-groups id, warn id). */
  readonly nGroups: number;
  /** Global tuple -> global id (no fixed-width packing: any number of distinct values), and back. */
  private readonly globals = new TupleTable();
  readonly globalParts: Int32Array[] = [];
  constructor(init: SystemState) {
    StateCodec.assertShape(init);
    this.n = init.devices.length;
    this.k = 1 + this.n;
    const fields = (o: object | undefined) => Object.keys(o ?? {}).sort();
    this.nGroups = init.groups.length;
    this.scratch = new Int32Array(2 * this.nGroups + 3);
    this.groups = new InternTable(fields(init.groups[0]));
    this.vfios = new InternTable(fields(init.vfio_groups[0]));
    this.deviceKeyOrder = Object.keys(init.devices[0] ?? {});
    // Each interned tuple patches into an interned tuple (patchDevice, src/machines/state.ts): a
    // call run on a decoded state that moves a group's domain patches every member, and its
    // successor's tuples are then found by identity, not by keying 32 fresh objects.
    const patchInterned = (t: number) => (patch: Partial<DeviceState>) => this.devices.values[this.applyPatch(t, this.patchId(patch))]!;
    this.devices = new InternTable(fields(init.devices[0]), () => this.created++, true, (v, t) => Object.defineProperty({ ...v }, PATCH_DEVICE, { value: patchInterned(t), enumerable: false }));
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

  /** The patch with id `p`. */
  patchOf(p: number): Partial<DeviceState> {
    return this.patches.values[p]!;
  }

  /** The id of a device patch (a few fields with new values; see ReadRecorder). */
  patchId(p: Partial<DeviceState>): number {
    // Most patches are a field or two with primitive values ({ hw: 'blocking' }): keyed by those
    // as written, without serializing (a miss, or any object value, takes canonicalKey).
    let quick = '';
    for (const k in p) {
      const v = (p as Record<string, unknown>)[k];
      if (v !== null && typeof v === 'object') return this.patches.idOf(canonicalKey(p), p);
      quick += `${k}:${typeof v}:${String(v)};`;
    }
    let id = this.quickPatches.get(quick);
    if (id === undefined) this.quickPatches.set(quick, (id = this.patches.idOf(canonicalKey(p), p)));
    return id;
  }
  private readonly quickPatches = new Map<string, number>();

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
    const G = this.nGroups;
    const t = this.scratch;
    for (let k = 0; k < G; k++) {
      t[k] = this.groups.id(s.groups[k]!, parts ? parts[k]! : -1);
      t[G + k] = this.vfios.id(s.vfio_groups[k]!, parts ? parts[G + k]! : -1);
    }
    const c = 2 * G;
    t[c] = parts && this.containerLists.values[parts[c]!] === s.containers ? parts[c]! : this.containerLists.idOf(canonicalKey(s.containers), s.containers);
    t[c + 1] = parts && this.igroups.values[parts[c + 1]!] === s.iommufd_groups ? parts[c + 1]! : this.igroupsId(s.iommufd_groups);
    t[c + 2] = this.warnId(s.warn);
    return this.globalIdOfTuple(t);
  }

  /**
   * The id of the global part whose tuple is `t` (2G + 3 ids: group, VFIO group file per IOMMU
   * group, then containers, iommufd groups, warn), every id already given by this codec.
   */
  globalIdOfTuple(t: Int32Array): number {
    const found = this.globals.find(t, this.globalParts);
    if (found >= 0) return found;
    const id = this.globalParts.length;
    this.globalParts.push(t.slice());
    this.created++;
    this.globals.add(t, id);
    return id;
  }

  /** The id a whole `containers`, `iommufd_groups` or `warn` value has in a global tuple. */
  partId(part: 'containers' | 'iommufd_groups' | 'warn', v: unknown): number {
    if (part === 'warn') return this.warnId(v as string | null);
    if (part === 'iommufd_groups') return this.igroupsId(v as SystemState['iommufd_groups']);
    return this.containerLists.idOf(canonicalKey(v), v as SystemState['containers']);
  }

  /** The global tuple being built (2G + 3 ids). */
  private readonly scratch: Int32Array;

  /** The id of device tuple d; `like` (optional) the id of the tuple it was copied from. */
  deviceId(d: DeviceState, like = -1): number {
    return this.devices.id(d, like);
  }

  /** The global part of global id `id`. */
  globalOf(id: number): GlobalPart {
    return (this.globalObjs[id] ??= this.buildGlobal(id));
  }

  /** The decoded global parts, by id: the same (frozen) arrays every time, so identity checks hit. */
  private readonly globalObjs: GlobalPart[] = [];

  private buildGlobal(id: number): GlobalPart {
    const t = this.globalParts[id]!;
    const G = this.nGroups;
    const groups: GroupState[] = new Array(G);
    const vfio_groups: VfioGroupState[] = new Array(G);
    for (let k = 0; k < G; k++) {
      groups[k] = this.groups.values[t[k]!]!;
      vfio_groups[k] = this.vfios.values[t[G + k]!]!;
    }
    const c = 2 * G;
    return {
      groups: Object.freeze(groups),
      vfio_groups: Object.freeze(vfio_groups),
      containers: this.containerLists.values[t[c]!]! as readonly ContainerState[],
      iommufd_groups: this.igroups.values[t[c + 1]!]!,
      warn: this.warns.values[t[c + 2]!]!,
    };
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
    return { groups: g.groups, devices, vfio_groups: g.vfio_groups, containers: g.containers, iommufd_groups: g.iommufd_groups, warn: g.warn };
  }
}
