/**
 * Read recording: a view of the state coded by a Code whose reads are recorded per component,
 * for ReadTrie. The view is plain objects with accessor properties (no Proxy), built once and
 * re-pointed at each state:
 *
 * - the state's `group`, `vfio_group`, `iommufd_groups` and `warn` are getters that record the global part
 *   (component 0); `devices` is a frozen array of one view per device slot;
 * - a slot view has one enumerable getter per device field, which records that field's value
 *   (component n + 1 + j * F + f). Spreading a slot view reads every getter, so it records every
 *   field. The key set of every device tuple is the same (StateCodec refuses other shapes), so
 *   what `in`, Object.keys or descriptors reveal without a getter is the same in every state.
 *
 * - patchDevice (src/machines/state.ts) on a slot view returns a patch view: the slot with some
 *   fields replaced, built without reading the others. Its getters return the patched values
 *   unrecorded (they came from recorded reads or constants) and record reads of the others as
 *   reads of the slot; patching it again gives a patch view of the merged patch.
 *
 * writesOf() turns a successor built from a view into the writes to the code: a component the
 * result shares with the input (the same global objects, the same slot view at its own slot)
 * keeps its id; a patch view at its own slot is written as that patch (~patch id: the successor's
 * tuple is the parent's with the patch applied, StateCodec.applyPatch); any other component is
 * set to the id of its new value. A new value can only depend on the state through recorded
 * reads, so the writes are determined by the path, except a slot view (or patch view) moved to
 * another slot, which is recorded here as reads of its source slot.
 */
import { PATCH_DEVICE, type DeviceState, type SystemState } from '../../machines/state.ts';
import { globalChanged, type Code, type GlobalPart, type StateCodec } from './codec.ts';

/** ReadRecorder.slotRead: the path read no device slot, or two or more. */
export const NO_SLOT = -1;
export const SEVERAL_SLOTS = -2;

export interface View {
  readonly state: SystemState;
  readonly code: Code;
  /** The slot views (the state's `devices` array). */
  readonly devices: readonly DeviceState[];
}

export class ReadRecorder {
  /** Pairs (component, id) in the order first read. */
  path: number[] = [];
  private readonly seen: Uint8Array;
  private active = false;
  /** Fields of one slot recorded one by one before the whole slot is (see readField). */
  private fieldLimit = Number.POSITIVE_INFINITY;
  private readonly fieldsRead: Uint8Array;
  private code: Code = new Int32Array(0);
  /** The current state's parts, read by the getters. */
  private readonly raw: DeviceState[];
  private global: GlobalPart = { group: null!, vfio_group: null!, iommufd_groups: [], warn: null };
  private readonly view: View;
  /** Patch views: slot and patch. */
  private readonly patchOf = new WeakMap<object, { readonly j: number; readonly patch: Partial<DeviceState> }>();
  /** Makes a slot view with the fields in `mask` (bits in deviceKeyOrder) taken from `patch` (see viewMaker). */
  private readonly makeView: ViewMaker;

  constructor(private readonly codec: StateCodec) {
    this.seen = new Uint8Array(codec.k + codec.n * codec.fields.length);
    this.fieldsRead = new Uint8Array(codec.n);
    this.raw = new Array(codec.n);
    this.makeView = viewMaker(codec, this);
    // A slot view is the patch view of the empty patch.
    const devices = Array.from({ length: codec.n }, (_, j) => this.patchView(j, {}));
    const state = {} as SystemState;
    const globalGetter = <K extends keyof GlobalPart>(key: K) => ({
      enumerable: true,
      get: () => {
        this.read(0);
        return this.global[key];
      },
    });
    Object.defineProperty(state, 'group', globalGetter('group'));
    Object.defineProperty(state, 'devices', { enumerable: true, value: Object.freeze(devices) });
    Object.defineProperty(state, 'vfio_group', globalGetter('vfio_group'));
    Object.defineProperty(state, 'iommufd_groups', globalGetter('iommufd_groups'));
    Object.defineProperty(state, 'warn', globalGetter('warn'));
    this.view = { state: Object.freeze(state), code: this.code, devices: state.devices };
  }

  /** Slot j with the fields in `patch` replaced, reading none of the others. */
  private patchView(j: number, patch: Partial<DeviceState>): DeviceState {
    let mask = 0;
    for (const name in patch) {
      const i = this.codec.deviceKeyOrder.indexOf(name);
      if (i < 0) throw new Error(`exploreFast: a device patch sets ${name}, which device tuples do not have`);
      mask |= 1 << i;
    }
    const v = Object.freeze(this.makeView(j, patch, mask));
    this.patchOf.set(v, { j, patch });
    return v;
  }

  /** The value of field f (StateCodec.fields) of slot j in the current state, recorded as read. */
  fieldValue(j: number, f: number): unknown {
    this.readField(j, f);
    return (this.raw[j] as unknown as Record<string, unknown>)[this.codec.fields[f]!];
  }

  /** patchDevice on the view `v`: the patch view of v's patch merged with `more`. */
  repatch(v: object, more: Partial<DeviceState>): DeviceState {
    const pv = this.patchOf.get(v)!;
    return this.patchView(pv.j, { ...pv.patch, ...more });
  }
  /** Records component c (0: global, 1 + j: slot j). */
  private read(c: number): void {
    if (!this.active || this.seen[c]) return;
    this.seen[c] = 1;
    this.path.push(c, this.code[c]!);
  }

  /**
   * Records the read of field f of slot j; past `fieldLimit` fields of one slot, the read of the
   * whole slot instead (one trie level for the slot's remaining fields).
   */
  private readField(j: number, f: number): void {
    const c = this.codec.fieldComponent(j, f);
    if (!this.active || this.seen[1 + j] || this.seen[c]) return;
    if (this.fieldsRead[j]! >= this.fieldLimit) return this.read(1 + j);
    this.fieldsRead[j]!++;
    this.seen[c] = 1;
    this.path.push(c, this.code[c]!);
  }

  /** Starts recording on the state whose extended code is `code` (unchanged until writesOf is done). */
  begin(code: Code, fieldLimit = Number.POSITIVE_INFINITY): View {
    this.fieldLimit = fieldLimit;
    this.fieldsRead.fill(0);
    this.path = [];
    this.seen.fill(0);
    this.active = true;
    this.code = code;
    for (let j = 0; j < this.codec.n; j++) this.raw[j] = this.codec.devices.values[code[1 + j]!]!;
    this.global = this.codec.globalOf(code[0]!);
    return { state: this.view.state, code, devices: this.view.devices };
  }

  /** Stops recording; returns the path read. */
  end(): number[] {
    this.active = false;
    return this.path;
  }

  /**
   * The one device slot the path recorded so far read (whole or some fields): NO_SLOT when it
   * read only the global part, SEVERAL_SLOTS when it read two or more slots.
   */
  slotRead(): number {
    const n = this.codec.n;
    const F = this.codec.fields.length;
    let slot = NO_SLOT;
    for (let p = 0; p < this.path.length; p += 2) {
      const c = this.path[p]!;
      if (c === 0) continue;
      const j = c <= n ? c - 1 : ((c - n - 1) / F) | 0;
      if (slot === NO_SLOT) slot = j;
      else if (slot !== j) return SEVERAL_SLOTS;
    }
    return slot;
  }

  /**
   * The writes (pairs component, id) that turn the view's code into the code of `next`, a
   * successor built from the view. Call after end(); may append reads to `path`.
   */
  writesOf(view: View, next: SystemState): number[] {
    const out: number[] = [];
    if (next === view.state) return out;
    const codec = this.codec;
    const g = this.global;
    if (globalChanged(next, g)) {
      out.push(0, codec.globalId(next, view.code[0]!));
    }
    if (next.devices === view.devices) return out;
    if (next.devices.length !== codec.n) throw new Error(`exploreFast: a successor has ${next.devices.length} device slots, the scenario ${codec.n}`);
    for (let j = 0; j < codec.n; j++) {
      const d = next.devices[j]!;
      if (d === view.devices[j]) continue;
      // A slot view is the patch view of the empty patch.
      const pv = this.patchOf.get(d);
      if (pv === undefined) {
        out.push(1 + j, codec.deviceId(d, view.code[1 + j]!));
      } else if (pv.j === j) {
        out.push(1 + j, ~codec.patchId(pv.patch));
      } else {
        this.active = true;
        this.read(1 + pv.j);
        this.active = false;
        out.push(1 + j, codec.deviceId({ ...this.raw[pv.j]!, ...pv.patch }, view.code[1 + pv.j]!));
      }
    }
    return out;
  }
}

type ViewMaker = (j: number, patch: Partial<DeviceState>, mask: number) => DeviceState;

/**
 * The slot views' constructor, generated once per codec: an object literal with one getter per
 * device field, in the order of the scenario's device tuples (so that spreading a view or
 * Object.keys sees the same keys in the same order as on a plain tuple). A getter returns the
 * patched value when its bit is in `mask`, else the current state's value, recorded as read. The
 * prototype holds PATCH_DEVICE, where spreading does not copy it. Generated rather than built
 * with defineProperty, which costs a closure and two property definitions per field on every
 * patch a missed call makes (and tsx names each closure with one more).
 */
function viewMaker(codec: StateCodec, rec: ReadRecorder): ViewMaker {
  const keys = codec.deviceKeyOrder;
  if (keys.length > 30) throw new Error(`exploreFast: device tuples have ${keys.length} fields, the read recorder at most 30`);
  const proto = {
    [PATCH_DEVICE](this: object, more: Partial<DeviceState>) {
      return rec.repatch(this, more);
    },
  };
  const getters = keys.map((name, i) => {
    const k = JSON.stringify(name);
    return `get ${k}() { return m & ${1 << i} ? p[${k}] : rec.fieldValue(j, ${codec.fields.indexOf(name)}); }`;
  });
  const body = `'use strict'; return function (j, p, m) { return { __proto__: proto, ${getters.join(', ')} }; };`;
  return new Function('rec', 'proto', body)(rec, proto) as ViewMaker;
}
