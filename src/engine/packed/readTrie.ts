/**
 * A cache of a pure function of the state, keyed by what the function read: the sequence of
 * (component, id) pairs it read, a component being the global part, a whole device slot, or one
 * field of a device slot (StateCodec.valueAt). A pure function reads deterministically: given the same values at the
 * components read so far it reads the same next component, so the sequences form a trie whose
 * inner nodes each name the component read next and whose leaves hold the result. A lookup
 * walks the trie reading the code; a state that reaches a leaf agrees with the run that made it
 * on everything that run read, hence gets the same result.
 *
 * Each trie has dense integer roots (one per event, per block, ...). `maxNodes` bounds the
 * memory: past it, set() stores nothing and callers simply compute.
 */
import type { Code } from './codec.ts';

interface Node<T> {
  /** The component read at this node, or -1 at a leaf. */
  readonly c: number;
  readonly kids: (Node<T> | undefined)[];
  readonly v: T | undefined;
}

const inner = <T>(c: number): Node<T> => ({ c, kids: [], v: undefined });
const leaf = <T>(v: T): Node<T> => ({ c: -1, kids: [], v });

export class ReadTrie<T> {
  private readonly roots: (Node<T> | undefined)[] = [];
  nodes = 0;

  constructor(readonly maxNodes = 1 << 22) {}

  /** No more room: set() stores nothing. */
  get full(): boolean {
    return this.nodes >= this.maxNodes;
  }

  /** The cached result for the state whose extended code (StateCodec.extend) is `ext`, or undefined. */
  get(root: number, ext: Code): T | undefined {
    let n = this.roots[root];
    while (n !== undefined && n.c >= 0) n = n.kids[ext[n.c]!];
    return n === undefined ? undefined : n.v;
  }

  /** Caches `v` for every state agreeing with `path` (pairs component, id, in read order). */
  set(root: number, path: readonly number[], v: T): void {
    if (this.nodes + path.length / 2 + 1 > this.maxNodes) return;
    const make = (p: number): Node<T> => {
      this.nodes++;
      return p < path.length ? inner<T>(path[p]!) : leaf(v);
    };
    let n: Node<T> = this.roots[root] ?? (this.roots[root] = make(0));
    for (let p = 0; p < path.length; p += 2) {
      if (n.c !== path[p]) throw new Error(`ReadTrie: a cached function read component ${path[p]} where an earlier run read ${n.c} (not pure?)`);
      let next: Node<T> | undefined = n.kids[path[p + 1]!];
      if (next === undefined) n.kids[path[p + 1]!] = next = make(p + 2);
      n = next;
    }
    if (n.c !== -1) throw new Error('ReadTrie: a cached function read less than an earlier run on the same values (not pure?)');
  }
}
