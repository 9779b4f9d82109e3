/**
 * The logic of the vitest matchers (src/api/vitest.ts registers them): whether a report or a row
 * holds, breaks an invariant, or matches its expectations, and a failure message that carries the
 * counterexample. No vitest import here: the main entry stays free of it.
 */
import { INVARIANTS } from '../invariants/index.ts';
import type { CheckReport, CheckRow } from './report.ts';
import { counterexampleText } from './traces.ts';

/** What a matcher returns to `expect.extend`. */
export interface MatcherOutcome {
  pass: boolean;
  message: () => string;
}

const isRow = (x: unknown): x is CheckRow =>
  typeof x === 'object' && x !== null && typeof (x as CheckRow).scenario === 'string' && typeof (x as CheckRow).status === 'string' && Array.isArray((x as CheckRow).violations);

/** The rows a matcher judges: a report's (checkScenario's result or `check --json` output), one row, or a list of rows. */
export function rowsOf(received: unknown, matcher: string): CheckRow[] {
  if (isRow(received)) return [received];
  if (Array.isArray(received) && received.every(isRow)) return received;
  const results = (received as Partial<CheckReport> | null)?.results;
  if (Array.isArray(results) && results.every(isRow)) return results;
  const what = received === null ? 'null' : Array.isArray(received) ? 'an array of something else' : typeof received;
  throw new TypeError(`${matcher}: expected a check report (checkScenario's result or \`iommu-mc check --json\` output), one of its rows or a list of rows, got ${what}`);
}

const label = (r: CheckRow): string => `${r.scenario} under ${r.variant}`;
const states = (r: CheckRow): string => `${r.distinctStates.toLocaleString('en-US')} states`;
const broken = (r: CheckRow): string[] => r.violations.map((v) => v.invariant);

/** What a row found, in words: `holds (59 states)`, `violated I1, I5`, `incomplete: ...`. */
function found(r: CheckRow): string {
  const cut = r.complete ? '' : `; incomplete: ${r.bound} cut exploration short after ${states(r)} (raise maxStates, maxSeconds or maxMemory)`;
  if (r.violations.length) return `violated ${broken(r).join(', ')}${cut}`;
  return r.complete ? `holds (${states(r)}, every reachable state explored)` : cut.slice(2);
}

/** The counterexamples of `invariants` in a row, indented under its heading. */
function traces(r: CheckRow, invariants: readonly string[]): string {
  return invariants
    .map((inv) => counterexampleText(r, inv))
    .filter((t): t is string => t !== null)
    .map((t) => `\n${t.split('\n').map((l) => `  ${l}`).join('\n')}`)
    .join('\n');
}

const noRows = (matcher: string): MatcherOutcome => ({ pass: false, message: () => `${matcher}: the report has no rows (no scenario x variant was checked)` });

/** `toHold()`: every row explored every reachable state and broke no invariant. */
export function toHold(received: unknown, isNot: boolean): MatcherOutcome {
  const rows = rowsOf(received, 'toHold()');
  if (rows.length === 0) return noRows('toHold()');
  const bad = rows.filter((r) => r.status !== 'holds');
  const message = isNot
    ? () => `expected ${rows.map(label).join(', ')} not to hold, but ${rows.length === 1 ? 'it holds' : 'every one holds'}: ${rows.map((r) => `${label(r)} ${found(r)}`).join('; ')}`
    : () => `expected ${rows.length === 1 ? label(rows[0]!) : `all ${rows.length} checks`} to hold; ${bad.length === 1 && rows.length === 1 ? 'it did not' : `${bad.length} did not`}:\n${bad.map((r) => `${label(r)}: ${found(r)}${traces(r, broken(r))}`).join('\n\n')}`;
  return { pass: bad.length === 0, message };
}

/** Checks an invariant id given to toBreak(); an unknown one is a mistake in the test, not a failed check. */
function checkInvariant(invariant: unknown): string {
  const ids = INVARIANTS.map((i) => i.id);
  if (typeof invariant === 'string' && ids.includes(invariant)) return invariant;
  throw new TypeError(`toBreak(invariant): expected an invariant id (${ids.join(', ')}), got ${JSON.stringify(invariant) ?? String(invariant)}`);
}

/** `toBreak(invariant)`: every row broke `invariant` (others may break too). */
export function toBreak(received: unknown, invariant: unknown, isNot: boolean): MatcherOutcome {
  const inv = checkInvariant(invariant);
  const rows = rowsOf(received, `toBreak('${inv}')`);
  if (rows.length === 0) return noRows(`toBreak('${inv}')`);
  const breaking = rows.filter((r) => broken(r).includes(inv));
  const others = rows.filter((r) => !broken(r).includes(inv));
  const message = isNot
    ? () => `expected ${inv} to hold, but ${breaking.map(label).join(', ')} broke it:\n${breaking.map((r) => `${label(r)}: ${found(r)}${traces(r, [inv])}`).join('\n\n')}`
    : () => `expected ${rows.length === 1 ? label(rows[0]!) : `all ${rows.length} checks`} to break ${inv}; ${others.length === 1 && rows.length === 1 ? 'it did not' : `${others.length} did not`}:\n${others.map((r) => `${label(r)}: ${found(r)}${r.violations.length ? `, not ${inv}${traces(r, broken(r))}` : ''}`).join('\n\n')}`;
  return { pass: others.length === 0, message };
}

/** The expectation of a row in words: `holds` or `violated I1, I3`, and where it came from. */
const expected = (r: CheckRow): string => `${r.expected === 'holds' ? 'holds' : `violated ${r.expectedInvariants.join(', ')}`} (expectation from ${r.expectationSource})`;

/**
 * `toMatchExpectations()`: every row found what it was expected to find (a scenario file's
 * `expect:`, a built-in scenario's manifest entry) and was complete: the report's `ok`.
 */
export function toMatchExpectations(received: unknown, isNot: boolean): MatcherOutcome {
  const rows = rowsOf(received, 'toMatchExpectations()');
  if (rows.length === 0) return noRows('toMatchExpectations()');
  const bad = rows.filter((r) => !r.matchesExpectation);
  const describe = (r: CheckRow): string => {
    const unexpected = broken(r).filter((i) => !r.expectedInvariants.includes(i));
    const missing = r.expectedInvariants.filter((i) => !broken(r).includes(i));
    const miss = missing.length ? `\n  expected to break but did not: ${missing.join(', ')}` : '';
    return `${label(r)}: found ${found(r)}; expected ${expected(r)}${miss}${traces(r, unexpected)}`;
  };
  const message = isNot
    ? () => `expected some check to miss its expectation, but all ${rows.length} matched: ${rows.map((r) => `${label(r)} ${found(r)}`).join('; ')}`
    : () => `expected every check to match its expectation; ${bad.length} of ${rows.length} did not:\n${bad.map(describe).join('\n\n')}`;
  return { pass: bad.length === 0, message };
}
