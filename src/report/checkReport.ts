/** The check command's outputs: the text table a person reads at a glance, and the JSON object. */
import pc from 'picocolors';
import { modelFor, type CheckResult } from '../engine/check.ts';
import type { Violation } from '../engine/types.ts';
import { PARALLEL_FROM } from '../engine/packed/exploreFast.ts';
import { eventArgs } from '../machines/events.ts';
import type { Model } from '../machines/model.ts';
import { KERNEL_PIN } from '../kernel/version.ts';
import { diffStates, formatChanges } from './stateDiff.ts';
import { actorName } from './formatEvent.ts';
import { scenarioGroups, type Scenario } from '../machines/scenario.ts';

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
    fmtInt(r.result.distinctStates) + (r.components ? ` (${r.components.length} parts)` : '') + (r.symmetry ? ' (sym)' : '') + (r.collisionProbability !== null ? ' (fp)' : ''),
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

/** The scenario's IOMMU groups: name, grouping rule and its assumption, and the devices of each. */
function groupsJson(model: Model) {
  const s = model.scenario;
  return {
    rule: s.grouping ?? null,
    assumption: s.groupingAssumption ?? null,
    groups: scenarioGroups(s).map((g, gi) => ({
      name: g.name,
      why: g.why ?? null,
      devices: s.devices.filter((d) => (d.group ?? 0) === gi).map((d) => ({ name: d.name, fixed: !!d.fixed, drivers: d.drivers, hostDriver: d.hostDriver ?? null })),
    })),
  };
}

/** One device of a scenario header: what may happen to it. */
function deviceLine(d: Scenario['devices'][number]): string {
  if (!d.fixed) return `${d.name} (${d.drivers.join(' or ')}${d.present ? '' : ', hot-added'})`;
  if (!d.hostDriver && d.drivers.length === 0) return `${d.name} (not in the plan: no driver)`;
  const host = d.hostDriver && d.hostDriver !== d.drivers[0] ? `${d.hostDriver}, modelled as ${d.drivers[0]}` : d.drivers[0];
  return `${d.name} (not in the plan: keeps ${host})`;
}

/**
 * What a scenario file made of a machine: the topology and grouping rule, each modelled IOMMU
 * group with its devices (planned, or kept as the host has them), and the contexts' devices.
 */
export function formatScenarioHeader(s: Scenario): string {
  const lines = [`${s.name}: ${s.topology ? `topology ${s.topology}, grouping ${s.grouping ?? 'mainline'}${s.groupingAssumption ? ` (depends on ${s.groupingAssumption})` : ''}` : 'no topology (hand-written hardware facts)'}`];
  scenarioGroups(s).forEach((g, gi) => {
    const devs = s.devices.filter((d) => (d.group ?? 0) === gi).map(deviceLine);
    lines.push(`  group ${g.name}: ${devs.join(', ')}`);
  });
  s.contexts.forEach((c) => {
    const devs = c.devices ? c.devices.map((i) => s.devices[i]?.name ?? i).join(', ') : 'any device';
    lines.push(`  context ${c.name} (${c.paths.join(', ')}): ${devs}`);
  });
  if (s.outsidePeers?.length) lines.push(`  outside the modelled groups, reached peer-to-peer and held by the host: ${s.outsidePeers.map((o) => o.name).join(', ')}`);
  return lines.join('\n');
}

/**
 * The scenarios explored by decomposition, one line each (from the first check of the scenario):
 * the components, their state counts, and the product the undecomposed run would have explored.
 */
export function formatComponents(results: readonly CheckResult[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const r of results) {
    if (!r.components || seen.has(r.scenario)) continue;
    seen.add(r.scenario);
    const parts = r.components.map((c) => `{group ${c.groups.join(', ')}}: ${fmtInt(c.states)}`).join('; ');
    lines.push(`  ${r.scenario} (${r.variant}): ${r.components.length} independent components ${parts}; ${fmtInt(r.result.distinctStates)} states explored instead of the ${fmtInt(r.productStates ?? 0)} of the whole`);
  }
  return lines.length ? `Decomposed (IOMMU groups that share no legacy container, peer-to-peer route or requester ID; --no-decompose explores them together):\n${lines.join('\n')}` : '';
}

/**
 * The invariants some check did not judge, grouped by invariant and reason: one line each, with
 * the scenarios it applies to (a check that cannot fail is said so, never counted silently).
 */
export function formatNotJudged(results: readonly CheckResult[]): string {
  const by = new Map<string, Set<string>>();
  for (const r of results) {
    for (const n of r.judgement.notJudged) {
      const key = `${n.id}\u0000${n.why}`;
      const set = by.get(key) ?? new Set<string>();
      set.add(r.scenario);
      by.set(key, set);
    }
  }
  if (by.size === 0) return '';
  const lines = [...by.entries()].map(([key, scenarios]) => {
    const [id, why] = key.split('\u0000') as [string, string];
    const names = [...scenarios];
    const list = names.length > 4 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
    return `  ${id} on ${names.length} scenario${names.length === 1 ? '' : 's'} (${list}): ${why}`;
  });
  return `Not judged (the scenario gives the invariant nothing to check; it cannot fail there):\n${lines.join('\n')}`;
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
      judged: r.judgement.judged,
      notJudged: r.judgement.notJudged,
      groups: groupsJson(r.model),
      ...(r.components ? { components: r.components, productStates: r.productStates } : {}),
      violations: r.result.violations.map((v) => ({ invariant: v.invariant, kind: v.kind, reason: v.reason, steps: stepsJson(v, modelFor(r, v)) })),
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
