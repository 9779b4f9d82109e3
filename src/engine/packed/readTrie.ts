/**
 * A cache of a pure function of the state, keyed by what the function read: the sequence of
 * (component, id) pairs it read, a component being the global part, a whole device slot, or one
 * field of a device slot (StateCodec.valueAt). A pure function reads deterministically: given the same values at the
 * components read so far it reads the same next component, so the sequences form a trie whose
 * inner nodes each name the component read next and whose leaves hold the result. A lookup
 * walks the trie reading the code; a state that reaches a leaf agrees with the run that made it
 * on everything that run read, hence gets the same result.
 *
 * Each trie has dense integer roots (one per event, per block, ...). Nodes are numbers, the edges
 * out of the roots a dense grid (./grid.ts) and the others one hash map over typed arrays
 * (./tripleIndex.ts), so a walk touches no JS objects.
 * `maxNodes` bounds the memory: past it, set() stores nothing and callers simply compute.
 */
import type { Code } from './codec.ts';
import { Grid } from './grid.ts';
import { TripleIndex } from './tripleIndex.ts';

/** ReadTrie.get's answer for a code that reaches no leaf. */
const LEAF = -1;

export class ReadTrie<T> {
  /** Per root: its node + 1 (0: none yet). */
  private roots = new Int32Array(64);
  /** Per node: the component it reads, or LEAF; per leaf node, its value's index in `values`. */
  private comp = new Int32Array(1024);
  private valueOf = new Int32Array(1024);
  private readonly values: T[] = [];
  /** The edges out of root nodes: (root, id read) -> child node; the others: (node, id read, 0) -> child node. */
  private readonly firstEdges = new Grid();
  private readonly edges = new TripleIndex();
  nodes = 0;

  constructor(readonly maxNodes = 1 << 22) {}

  /** No more room: set() stores nothing. */
  get full(): boolean {
    return this.nodes >= this.maxNodes;
  }

  /** The cached result for the state whose extended code (StateCodec.extend) is `ext`, or undefined. */
  get(root: number, ext: Code): T | undefined {
    if (root >= this.roots.length) return undefined;
    let n = this.roots[root]! - 1;
    if (n < 0) return undefined;
    const comp = this.comp;
    let c = comp[n]!;
    if (c !== LEAF) {
      n = this.firstEdges.get(root, ext[c]!);
      if (n < 0) return undefined;
    }
    for (c = comp[n]!; c !== LEAF; c = comp[n]!) {
      n = this.edges.get(n, ext[c]!, 0);
      if (n < 0) return undefined;
    }
    return this.values[this.valueOf[n]!];
  }

  private node(c: number): number {
    const n = this.nodes++;
    if (n === this.comp.length) {
      const comp = new Int32Array(n * 2);
      comp.set(this.comp);
      this.comp = comp;
      const valueOf = new Int32Array(n * 2);
      valueOf.set(this.valueOf);
      this.valueOf = valueOf;
    }
    this.comp[n] = c;
    return n;
  }

  /** Caches `v` for every state agreeing with `path` (pairs component, id, in read order). */
  set(root: number, path: readonly number[], v: T): void {
    if (this.nodes + path.length / 2 + 1 > this.maxNodes) return;
    while (root >= this.roots.length) {
      const roots = new Int32Array(this.roots.length * 2);
      roots.set(this.roots);
      this.roots = roots;
    }
    let n = this.roots[root]! - 1;
    if (n < 0) this.roots[root] = (n = this.node(path.length > 0 ? path[0]! : LEAF)) + 1;
    for (let p = 0; p < path.length; p += 2) {
      if (this.comp[n] !== path[p]) throw new Error(`ReadTrie: a cached function read component ${path[p]} where an earlier run read ${this.comp[n]} (not pure?)`);
      let next = p === 0 ? this.firstEdges.get(root, path[1]!) : this.edges.get(n, path[p + 1]!, 0);
      if (next < 0) {
        next = this.node(p + 2 < path.length ? path[p + 2]! : LEAF);
        if (p === 0) this.firstEdges.set(root, path[1]!, next);
        else this.edges.add(n, path[p + 1]!, 0, next);
      }
      n = next;
    }
    if (this.comp[n] !== LEAF) throw new Error('ReadTrie: a cached function read less than an earlier run on the same values (not pure?)');
    this.valueOf[n] = this.values.length;
    this.values.push(v);
  }
}
