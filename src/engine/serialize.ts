/**
 * The one canonical serializer: JSON with object keys sorted at every level, so that two equal
 * states built in different orders get the same key. Only plain JSON data is accepted: a Map,
 * Set, class instance, bigint, function or undefined-in-array is a programming error and throws
 * (the default JSON.stringify would silently merge or drop them).
 */
export function canonicalKey(value: unknown): string {
  return write(value);
}

function write(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'number':
      if (!Number.isFinite(v)) throw new TypeError(`canonicalKey: non-finite number ${v}`);
      return String(v);
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(v)) return `[${v.map(write).join(',')}]`;
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError(`canonicalKey: not plain data (${(v as object).constructor?.name ?? 'unknown'})`);
      }
      const keys = Object.keys(v).sort();
      const parts: string[] = [];
      for (const k of keys) {
        const x = (v as Record<string, unknown>)[k];
        if (x === undefined) continue;
        parts.push(`${JSON.stringify(k)}:${write(x)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalKey: cannot serialize a ${typeof v}`);
  }
}
