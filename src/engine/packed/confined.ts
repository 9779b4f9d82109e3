/**
 * Confined states: the state coded by a Code with its global part and one device slot as the
 * plain interned objects, and every other slot a sentinel that notes any look at it. A function
 * run on a confined state of slot j that did not look at another slot (`strayed` false) saw only
 * the global part and slot j's tuple: its result is a function of (global id, slot j's tuple id),
 * the key of exploreFast's per-slot entries (./slotCalls.ts) and of the state invariants' device
 * steps (./scanCache.ts).
 *
 * This is the check the read recorder (./recorder.ts) makes when it finds that a path read only
 * the global part and one slot, at the cost of running the function on plain objects: a miss
 * that runs a kernel call on a recording view takes about 6.6 us at N=6, the same call on plain
 * objects under 1 us. Whatever strays goes back to the recorder, which keys it by what it read.
 *
 * What a sentinel notes: every Proxy trap (reading a field, `in`, listing or describing its keys,
 * patchDevice, which reads PATCH_DEVICE, spreading, serializing); it answers with the real
 * tuple's values, so a function that strays still runs as on the real state and its result is
 * simply not kept. What it cannot note, as the recorder's views cannot: comparing slot objects by
 * identity (two slots holding equal tuples hold one interned object in a decoded state), which
 * the semantic functions and invariants do not do. `s.devices.length` is the scenario's slot
 * count in every state.
 */
import type { DeviceState, SystemState } from '../../machines/state.ts';
import type { Code, GlobalPart, StateCodec } from './codec.ts';

export class ConfinedStates {
  /** Some sentinel was looked at since the last state(). */
  strayed = false;
  /** The real tuples the sentinels answer with (the current state's). */
  private readonly raw: DeviceState[];
  private readonly sentinels: DeviceState[];

  constructor(private readonly codec: StateCodec) {
    this.raw = new Array(codec.n);
    this.lastCode = new Int32Array(codec.k);
    const stray = () => {
      this.strayed = true;
    };
    this.sentinels = Array.from({ length: codec.n }, (_, j) => {
      const real = () => this.raw[j] as unknown as object;
      const handler: ProxyHandler<object> = {
        get: (_t, k) => (stray(), Reflect.get(real(), k)),
        has: (_t, k) => (stray(), Reflect.has(real(), k)),
        ownKeys: () => (stray(), Reflect.ownKeys(real())),
        getOwnPropertyDescriptor: (_t, k) => {
          stray();
          const d = Reflect.getOwnPropertyDescriptor(real(), k);
          return d && { ...d, configurable: true };
        },
        getPrototypeOf: () => (stray(), Reflect.getPrototypeOf(real())),
        set: () => (stray(), false),
        defineProperty: () => (stray(), false),
        deleteProperty: () => (stray(), false),
        setPrototypeOf: () => (stray(), false),
        isExtensible: () => (stray(), true),
        preventExtensions: () => (stray(), false),
      };
      return new Proxy({}, handler) as DeviceState;
    });
  }

  /**
   * The state coded by `code` (its first k elements) confined to slot j (or to the global part
   * alone, for j < 0). Clears `strayed`. `global` stands for the global part when given (a
   * recording view of it, ./globalReads.ts).
   */
  state(code: Code, j: number, global?: GlobalPart): SystemState {
    const codec = this.codec;
    this.strayed = false;
    // The same state as the last call's (a slot's blocks and calls run one after another): reuse it.
    if (global === undefined && j === this.lastSlot && this.last !== null && this.sameCode(code)) return this.last;
    const values = codec.devices.values;
    const devices: DeviceState[] = new Array(codec.n);
    for (let i = 0; i < codec.n; i++) {
      this.raw[i] = values[code[1 + i]!]!;
      devices[i] = i === j ? this.raw[i]! : this.sentinels[i]!;
    }
    const g = global ?? codec.globalOf(code[0]!);
    const s: SystemState = { groups: g.groups, devices: Object.freeze(devices), vfio_groups: g.vfio_groups, containers: g.containers, iommufd_groups: g.iommufd_groups, warn: g.warn };
    if (global === undefined) {
      this.lastCode.set(code.subarray(0, codec.k));
      this.lastSlot = j;
      this.last = s;
    } else this.last = null;
    return s;
  }

  /** The code of the last state() without a global view, its slot, and the state. */
  private readonly lastCode: Int32Array;
  private lastSlot = -2;
  private last: SystemState | null = null;

  private sameCode(code: Code): boolean {
    const last = this.lastCode;
    for (let x = 0; x < last.length; x++) if (code[x] !== last[x]) return false;
    return true;
  }
}
