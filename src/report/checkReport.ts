/** The check command's outputs: the text table a person reads at a glance, and the JSON object. */
import pc from 'picocolors';
import type { CheckResult } from '../engine/check.ts';
import type { Violation } from '../engine/types.ts';
import { PARALLEL_FROM } from '../engine/packed/exploreFast.ts';
import { eventArgs } from '../machines/events.ts';
import type { Model } from '../machines/model.ts';
import { KERNEL_PIN } from '../kernel/version.ts';
import { diffStates, formatChanges } from './stateDiff.ts';
import { actorName } from './formatEvent.ts';

const fmtInt = (n: number): string => n.toLocaleString('en-US');

/** A fixed-width table with a header row. */
export function table(rows: string[][], header: string[]): string {
  const width = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;
  const all = [header, ...rows];
  const w = header.map((_, c) => Math.max(...all.map((r) => width(r[c] ?? ''))));
  const line = (r: string[]) => r.map((x, c) => x + ' '.repeat(Math.max(0, (w[c] ?? 0) - width(x)))).join('  ').trimEnd();
  return [line(header), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n');
}

/** The verdict column: what was found, coloured by whether it matches the expectation. */
function verdict(r: CheckResult, color: boolean): string {
  const c = color ? pc : { green: (s: string) => s, red: (s: string) => s, yellow: (s: string) => s };
  if (r.status === 'incomplete') return c.yellow(`incomplete (${r.result.bound})`);
  const text = r.status === 'holds' ? 'holds' : `violated ${r.result.violations.map((v) => v.invariant).join(',')}`;
  return r.matchesExpectation ? c.green(`✓ ${text}`) : c.red(`✗ ${text}`);
}

const expectedText = (r: CheckResult): string =>
  r.expectation.expected === 'holds' ? 'holds' : `violated ${r.expectation.invariants.join(',')}`;

/** The whole text report's table and summary line. */
export function formatCheckTable(results: readonly CheckResult[], color = false): string {
  const rows = results.map((r) => [
    r.scenario,
    r.variant,
    verdict(r, color),
    expectedText(r),
    fmtInt(r.result.distinctStates) + (r.symmetry ? ' (sym)' : '') + (r.collisionProbability !== null ? ' (fp)' : ''),
    fmtInt(r.result.transitions),
    String(r.result.depth),
    `${r.result.seconds.toFixed(2)}s`,
  ]);
  return table(rows, ['scenario', 'variant', 'found', 'expected', 'states', 'transitions', 'depth', 'time']);
}

/** `150 checks: 150 as expected (112 hold, 38 violated as expected); 0 mismatches; 0 incomplete. 3,412 states, 1.20 s`. */
export function formatSummary(results: readonly CheckResult[], color = false): string {
  const ok = results.filter((r) => r.matchesExpectation);
  const holds = ok.filter((r) => r.status === 'holds').length;
  const mismatches = results.filter((r) => r.complete && !r.matchesExpectation).length;
  const incomplete = results.filter((r) => !r.complete).length;
  const states = results.reduce((a, r) => a + r.result.distinctStates, 0);
  const secs = results.reduce((a, r) => a + r.result.seconds, 0);
  const sym = results.filter((r) => r.symmetry).length;
  const reduced = sym ? ` (${sym} check${sym === 1 ? '' : 's'} counted in orbit representatives: symmetry reduction, --no-symmetry for the full space)` : '';
  const fps = results.filter((r) => r.collisionProbability !== null);
  const collision = fps.length ? ` With 64-bit fingerprints, the probability that a collision hid states is at most ${fps.reduce((a, r) => a + r.collisionProbability!, 0).toExponential(1)} (sum over the checks; exact comparison without --fingerprints).` : '';
  const par = results.filter((r) => r.threads > 1);
  const threads = par.length ? ` ${par.length} check${par.length === 1 ? '' : 's'} grew past ${fmtInt(PARALLEL_FROM)} states and ran on ${Math.max(...par.map((r) => r.threads))} threads (--workers).` : '';
  const text = `${results.length} checks: ${ok.length} as expected (${holds} hold, ${ok.length - holds} violated as expected); ${mismatches} mismatch${mismatches === 1 ? '' : 'es'}; ${incomplete} incomplete. ${fmtInt(states)} states explored in ${secs.toFixed(2)} s${reduced} (kernel ${KERNEL_PIN.version}).${collision}${threads}`;
  if (!color) return text;
  return mismatches ? pc.red(text) : incomplete ? pc.yellow(text) : pc.green(text);
}

/** One JSON step: the call, its arguments, its errno and what changed. */
export function stepsJson(v: Violation, model: Model) {
  let prev = v.init;
  return v.steps.map((st) => {
    const driver = 'dev' in st.event ? prev.devices[st.event.dev]?.driver : null;
    const out = {
      event: st.event.type,
      args: Object.fromEntries(eventArgs(st.event)),
      actor: actorName(st.event, model.scenario, driver),
      errno: st.errno ? `-${st.errno}` : null,
      changes: formatChanges(diffStates(prev, st.state, model.scenario)),
    };
    prev = st.state;
    return out;
  });
}

/** The `--json` object. */
export function checkJson(results: readonly CheckResult[], exitCode: number) {
  return {
    ok: exitCode === 0,
    exitCode,
    kernel: KERNEL_PIN,
    results: results.map((r) => ({
      scenario: r.scenario,
      variant: r.variant,
      status: r.status,
      expected: r.expectation.expected,
      expectedInvariants: r.expectation.invariants,
      expectationSource: r.expectation.source,
      matchesExpectation: r.matchesExpectation,
      complete: r.complete,
      bound: r.result.bound,
      distinctStates: r.result.distinctStates,
      symmetry: r.symmetry,
      fingerprints: r.collisionProbability !== null,
      collisionProbability: r.collisionProbability,
      threads: r.threads,
      transitions: r.result.transitions,
      depth: r.result.depth,
      seconds: Number(r.result.seconds.toFixed(3)),
      violations: r.result.violations.map((v) => ({ invariant: v.invariant, kind: v.kind, reason: v.reason, steps: stepsJson(v, r.model) })),
      coverage: r.result.coverage,
    })),
  };
}

/** TLC-style coverage: how often each kernel call was enabled, succeeded, changed the state, failed with which errno. */
export function formatCoverage(results: readonly CheckResult[]): string {
  const agg = new Map<string, { enabled: number; ok: number; changed: number; errnos: Map<string, number> }>();
  for (const r of results) {
    for (const [ev, c] of Object.entries(r.result.coverage)) {
      const a = agg.get(ev) ?? { enabled: 0, ok: 0, changed: 0, errnos: new Map<string, number>() };
      a.enabled += c.enabled;
      a.ok += c.ok;
      a.changed += c.changed;
      for (const [e, n] of Object.entries(c.errnos)) a.errnos.set(e, (a.errnos.get(e) ?? 0) + (n ?? 0));
      agg.set(ev, a);
    }
  }
  const rows = [...agg.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([ev, a]) => [
      ev,
      fmtInt(a.enabled),
      fmtInt(a.ok),
      fmtInt(a.changed),
      [...a.errnos.entries()].sort().map(([e, n]) => `-${e}×${fmtInt(n)}`).join(' ') || '-',
      a.changed === 0 ? 'never changed the state' : '',
    ]);
  return table(rows, ['kernel call', 'enabled', 'ok', 'changed state', 'errors', 'note']);
}
