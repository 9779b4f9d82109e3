/**
 * YAML input as plain data, for every file a user hands the tool (scenarios, topologies): one
 * document, merge keys resolved, no unknown tags, bounded aliases and nesting, and parser
 * failures as one-line messages (never yaml's multi-line warnings on stderr).
 */
import { isAlias, isCollection, isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

/** Nesting deeper than this is refused (a scenario's deepest field, devices[0].drivers[0], is 3 levels down). */
const MAX_DEPTH = 32;

/** A parser that ran out of stack: a RangeError, or yaml's error wrapping one (with its position). */
export const isStackOverflow = (e: unknown): boolean => e instanceof Error && /Maximum call stack size exceeded/i.test(e.message);

/**
 * Refuses what a scenario never needs and a parser handles badly: nesting deeper than MAX_DEPTH,
 * and a list, mapping or alias as a mapping key (yaml stringifies such keys level by level, in
 * time exponential in their depth: 150 nested `{{` took 7 s). Iterative: no stack to overflow.
 */
function checkYamlShape(root: unknown, where: (offset: number | undefined) => string): void {
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (!isCollection(node)) continue;
    const offset = (node as Node).range?.[0];
    if (depth >= MAX_DEPTH) throw new Error(`nested too deeply: more than ${MAX_DEPTH} levels (${where(offset)})`);
    if (isSeq(node)) for (const item of node.items) stack.push([item, depth + 1]);
    if (isMap(node)) {
      for (const pair of node.items) {
        if (isCollection(pair.key) || isAlias(pair.key)) {
          throw new Error(`expected a plain name as a mapping key, got a list, mapping or alias (${where((pair.key as Node).range?.[0] ?? offset)})`);
        }
        stack.push([pair.value, depth + 1]);
      }
    }
  }
}

/** A YAML document as plain data: one document, merge keys (`<<: *base`) resolved, no unknown tags, at most 100 aliases. */
export function parseYamlData(text: string): unknown {
  const lineCounter = new LineCounter();
  const where = (offset: number | undefined) => {
    if (offset === undefined) return 'somewhere in the file';
    const { line, col } = lineCounter.linePos(offset);
    return `line ${line}, column ${col}`;
  };
  try {
    // 'error': warnings are kept in doc.warnings, never printed to stderr (a YAMLWarning is 6 lines);
    // not 'silent', which also drops errors (a second document would be ignored).
    const doc = parseDocument(text, { logLevel: 'error', merge: true, lineCounter });
    // Warnings too: an unknown tag such as !!js/function would silently become a string.
    const problem = doc.errors.find(isStackOverflow) ?? doc.errors[0] ?? doc.warnings[0];
    if (problem) throw problem;
    checkYamlShape(doc.contents, where);
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    if (!isStackOverflow(e)) throw e;
    const pos = (e as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    throw new Error(`nested too deeply${pos ? ` (line ${pos.line}, column ${pos.col})` : ''}`);
  }
}

