/**
 * Small ids for values by key, in order of first appearance: the value first met under a key is
 * the one kept (`values[id]`). For the engine's lookup tables whose keys are already computed
 * (a warning string, an event key, a scan accumulator's JSON, a canonicalKey).
 */
export class IdTable<K, V> {
  private readonly ids = new Map<K, number>();
  readonly values: V[] = [];

  constructor(
    /** Runs once per new key and gives the value to keep (e.g. a frozen copy). */
    private readonly keep: (v: V) => V = (v) => v,
  ) {}

  /** The id of `key`, giving it the next id (and keeping `value`) when it is new. */
  idOf(key: K, value: V): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(this.keep(value));
      this.ids.set(key, id);
    }
    return id;
  }
}
