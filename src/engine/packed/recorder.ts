/**
 * Read recording: a view of the state coded by a Code whose reads are recorded per component,
 * for ReadTrie. The view is built once and re-pointed at each state:
 *
 * - the state's `group`, `vfio_group`, `iommufd_groups` and `warn` are getters that record the global part
 *   (component 0); `devices` is a frozen array of one view per device slot;
 * - a slot view (a Proxy, see viewHandler) has the device fields as its own enumerable keys;
 *   reading one records that field's value (component n + 1 + j * F + f). Spreading a slot view
 *   reads every field, so it records every field. The key set of every device tuple is the same
 *   (StateCodec refuses other shapes), so what `in`, Object.keys or descriptors reveal without a
 *   read is the same in every state.
 *
 * - patchDevice (src/machines/state.ts) on a slot view returns a patch view: the slot with some
 *   fields replaced, built without reading the others. Its reads return the patched values
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
  private global: GlobalPart = { groups: [], vfio_groups: [], containers: [], iommufd_groups: [], warn: null };
  private readonly view: View;
  /** The traps of every slot view (see viewHandler). */
  private readonly handler: ProxyHandler<ViewTarget>;

  constructor(private readonly codec: StateCodec) {
    this.seen = new Uint8Array(codec.k + codec.n * codec.fields.length);
    this.fieldsRead = new Uint8Array(codec.n);
    this.raw = new Array(codec.n);
    this.handler = viewHandler(codec, this);
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
    Object.defineProperty(state, 'groups', globalGetter('groups'));
    Object.defineProperty(state, 'devices', { enumerable: true, value: Object.freeze(devices) });
    Object.defineProperty(state, 'vfio_groups', globalGetter('vfio_groups'));
    Object.defineProperty(state, 'containers', globalGetter('containers'));
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
    const target: ViewTarget = { j, patch, mask };
    return new Proxy(target, this.handler) as unknown as DeviceState;
  }

  /** The value of field f (StateCodec.fields) of slot j in the current state, recorded as read. */
  fieldValue(j: number, f: number): unknown {
    this.readField(j, f);
    return (this.raw[j] as unknown as Record<string, unknown>)[this.codec.fields[f]!];
  }

  /** patchDevice on the view whose target is `t`: the patch view of t's patch merged with `more`. */
  repatch(t: ViewTarget, more: Partial<DeviceState>): DeviceState {
    return this.patchView(t.j, { ...t.patch, ...more });
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
      const pv = (d as { [VIEW_TARGET]?: ViewTarget })[VIEW_TARGET];
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

/** What a slot view stands for: slot j with the fields in `mask` (bits by deviceKeyOrder) taken from `patch`. */
interface ViewTarget {
  readonly j: number;
  readonly patch: Partial<DeviceState>;
  readonly mask: number;
}

/** The key under which a slot view answers its target (no own key: spreading a view does not copy it). */
const VIEW_TARGET: unique symbol = Symbol('iommu-mc.viewTarget');

/**
 * The slot and patch a slot view (or patch view) stands for, found without recording a read;
 * undefined for a plain object. For code that checks a successor without reading the parent's
 * fields (src/cli/variantGuard.ts, on the states a variant file's overrides build).
 */
export const viewTargetOf = (d: object): { readonly j: number; readonly patch: Partial<DeviceState> } | undefined =>
  (d as { [VIEW_TARGET]?: ViewTarget })[VIEW_TARGET];

/**
 * The traps of the slot views, Proxies over their ViewTarget. Reading a field gives the patched
 * value when the patch sets it, else the current state's value, recorded as read. The own keys
 * are the device fields, enumerable, in the order of the scenario's tuples, so spreading a view,
 * Object.keys or `in` see what they see on a plain tuple; anything else comes from
 * Object.prototype as on a plain object, except PATCH_DEVICE and VIEW_TARGET. Writes are refused
 * (a TypeError in strict code), as on the frozen tuples. A Proxy because a missed call makes a
 * patch view per device it patches: creating one is one allocation, where an object with an own
 * getter per field costs a closure and a property definition per field (about 1.5 us).
 */
function viewHandler(codec: StateCodec, rec: ReadRecorder): ProxyHandler<ViewTarget> {
  const keys = codec.deviceKeyOrder;
  if (keys.length > 30) throw new Error(`exploreFast: device tuples have ${keys.length} fields, the read recorder at most 30`);
  const at = new Map<string | symbol, number>(keys.map((k, i) => [k, i]));
  const fieldOf = keys.map((k) => codec.fields.indexOf(k));
  const proto = Object.prototype as unknown as Record<string | symbol, unknown>;
  function patch(this: { [VIEW_TARGET]: ViewTarget }, more: Partial<DeviceState>): DeviceState {
    return rec.repatch(this[VIEW_TARGET], more);
  }
  const get = (t: ViewTarget, k: string | symbol): unknown => {
    const i = at.get(k);
    if (i !== undefined) return t.mask & (1 << i) ? (t.patch as Record<string, unknown>)[k as string] : rec.fieldValue(t.j, fieldOf[i]!);
    if (k === PATCH_DEVICE) return patch;
    if (k === VIEW_TARGET) return t;
    return proto[k];
  };
  return {
    get,
    has: (_t, k) => at.has(k) || k in proto,
    ownKeys: () => [...keys],
    getOwnPropertyDescriptor: (t, k) => (at.has(k) ? { value: get(t, k), writable: false, enumerable: true, configurable: true } : undefined),
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
    setPrototypeOf: () => false,
  };
}
