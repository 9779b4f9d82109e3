/**
 * Compact canonical encoding of SystemState for one scenario: a state is 1 + N small integers,
 * the id of its global part (group, VFIO group file, WARN) and the id of each device slot's
 * tuple. Ids come from intern tables keyed by the one canonical serializer (canonicalKey), so
 * two states get the same code exactly when they get the same canonicalKey; the tables grow as
 * exploration meets new values, so every field's domain is the finite set the scenario reaches.
 *
 * Decoding returns the interned (deep-frozen) objects themselves, so the structural sharing of
 * the semantic functions makes most later lookups identity hits (a WeakMap), not serializations.
 */
import type { DeviceState, GroupState, SystemState, VfioGroupState } from '../../machines/state.ts';
import { canonicalKey } from '../serialize.ts';

/** Thrown when an id no longer fits the element width; the engine restarts with a wider one. */
export class WidthOverflow extends Error {
  constructor(readonly needed: number) {
    super(`packed id ${needed} does not fit the element width`);
  }
}

export type Width = 1 | 2 | 4;
export type KeyArray = Uint8Array | Uint16Array | Uint32Array;

export const makeKeyArray = (width: Width, length: number): KeyArray =>
  width === 1 ? new Uint8Array(length) : width === 2 ? new Uint16Array(length) : new Uint32Array(length);

const maxId = (w: Width): number => (w === 1 ? 0xff : w === 2 ? 0xffff : 0xffffffff);

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}

/** An intern table of plain-data objects: id by identity first, then by canonical key. */
class ObjectTable<T extends object> {
  private readonly byRef = new WeakMap<object, number>();
  private readonly byKey = new Map<string, number>();
  readonly values: T[] = [];

  id(v: T): number {
    const hit = this.byRef.get(v);
    if (hit !== undefined) return hit;
    const key = canonicalKey(v);
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(deepFreeze(v));
      this.byKey.set(key, id);
      this.byRef.set(v, id);
    }
    return id;
  }
}

const TOP_KEYS = 'devices,group,vfio_group,warn';

export class StateCodec {
  /** Elements per state: the global part, then one per device slot. */
  readonly k: number;
  readonly groups = new ObjectTable<GroupState>();
  readonly vfios = new ObjectTable<VfioGroupState>();
  readonly devices = new ObjectTable<DeviceState>();
  private readonly warns = new Map<string | null, number>();
  private readonly warnValues: (string | null)[] = [];
  /** Global tuple (group id, vfio id, warn id) -> global id, and back. */
  private readonly globals = new Map<number, number>();
  readonly globalParts: [number, number, number][] = [];
  private readonly limit: number;

  constructor(
    readonly n: number,
    readonly width: Width,
  ) {
    this.k = 1 + n;
    this.limit = maxId(width);
  }

  /** The encoding covers exactly SystemState's four top-level fields; anything else is refused. */
  static assertShape(s: SystemState): void {
    const keys = Object.keys(s).sort().join(',');
    if (keys !== TOP_KEYS) throw new Error(`exploreFast: SystemState has fields {${keys}}, the packed codec knows {${TOP_KEYS}}`);
  }

  private warnId(w: string | null): number {
    let id = this.warns.get(w);
    if (id === undefined) {
      id = this.warnValues.length;
      this.warnValues.push(w);
      this.warns.set(w, id);
    }
    return id;
  }

  private check(id: number): number {
    if (id > this.limit) throw new WidthOverflow(id);
    return id;
  }

  globalId(s: SystemState): number {
    const g = this.groups.id(s.group);
    const v = this.vfios.id(s.vfio_group);
    const w = this.warnId(s.warn);
    if (v >= 1024 || w >= 1024) throw new Error('exploreFast: more than 1024 distinct VFIO-group or WARN values');
    const key = g * 1048576 + v * 1024 + w;
    let id = this.globals.get(key);
    if (id === undefined) {
      id = this.globalParts.length;
      this.globalParts.push([g, v, w]);
      this.globals.set(key, id);
    }
    return this.check(id);
  }

  deviceId(d: DeviceState): number {
    return this.check(this.devices.id(d));
  }

  /** Writes the code of `s` into out[at .. at+k). */
  encode(s: SystemState, out: KeyArray, at = 0): void {
    if (s.devices.length !== this.n) throw new Error(`exploreFast: state has ${s.devices.length} device slots, scenario ${this.n}`);
    out[at] = this.globalId(s);
    for (let i = 0; i < this.n; i++) out[at + 1 + i] = this.deviceId(s.devices[i]!);
  }

  /** The state whose code is keys[at .. at+k): built from the interned objects. */
  decode(keys: KeyArray, at = 0): SystemState {
    const [g, v, w] = this.globalParts[keys[at]!]!;
    const devices: DeviceState[] = new Array(this.n);
    for (let i = 0; i < this.n; i++) devices[i] = this.devices.values[keys[at + 1 + i]!]!;
    return { group: this.groups.values[g]!, devices, vfio_group: this.vfios.values[v]!, warn: this.warnValues[w]! };
  }
}
