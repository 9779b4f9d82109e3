/** The check command's outputs: the text table a person reads at a glance, and the JSON object. */
import pc from 'picocolors';
import { isMismatch, modelFor, type CheckResult } from '../engine/check.ts';
import type { Violation } from '../engine/types.ts';
import { PARALLEL_FROM } from '../engine/packed/exploreFast.ts';
import { eventArgs } from '../machines/events.ts';
import type { Model } from '../machines/model.ts';
import { KERNEL_PIN } from '../kernel/version.ts';
import { diffStates, formatChanges, nameContexts } from './stateDiff.ts';
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
  // An unexpected violation found before a bound cut the run short is real: a mismatch, marked as cut short.
  const cut = r.complete ? '' : ` (cut short: ${r.result.bound})`;
  return r.matchesExpectation ? c.green(`✓ ${text}`) : c.red(`✗ ${text}${cut}`);
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
export function formatSummary(results: readonly CheckResult[], color = false, peakRssBytes?: number): string {
  const ok = results.filter((r) => r.matchesExpectation);
  const holds = ok.filter((r) => r.status === 'holds').length;
  const mismatches = results.filter(isMismatch).length;
  const incomplete = results.filter((r) => !r.complete && !isMismatch(r)).length;
  const states = results.reduce((a, r) => a + r.result.distinctStates, 0);
  const secs = results.reduce((a, r) => a + r.result.seconds, 0);
  const sym = results.filter((r) => r.symmetry).length;
  const reduced = sym ? ` (${sym} check${sym === 1 ? '' : 's'} with symmetry reduction: interchangeable devices explored once, states counted up to renaming them; --no-symmetry counts every state)` : '';
  const fps = results.filter((r) => r.collisionProbability !== null);
  const collision = fps.length ? ` With 64-bit fingerprints, the probability that a collision hid states is at most ${fps.reduce((a, r) => a + r.collisionProbability!, 0).toExponential(1)} (sum over the checks; exact comparison without --fingerprints).` : '';
  const par = results.filter((r) => r.threads > 1);
  const threads = par.length ? ` ${par.length} check${par.length === 1 ? '' : 's'} grew past ${fmtInt(PARALLEL_FROM)} states and ran on ${Math.max(...par.map((r) => r.threads))} threads (--workers).` : '';
  const text = `${results.length} check${results.length === 1 ? "" : "s"}: ${ok.length} as expected (${holds} hold, ${ok.length - holds} violated as expected); ${mismatches} mismatch${mismatches === 1 ? '' : 'es'}; ${incomplete} incomplete. ${fmtInt(states)} states explored in ${secs.toFixed(2)} s (${fmtInt(Math.round(states / Math.max(secs, 1e-3)))} states/s${peakRssBytes ? `, peak ${fmtInt(Math.round(peakRssBytes / 2 ** 20))} MiB resident` : ''})${reduced} (model of kernel ${KERNEL_PIN.version}, ${KERNEL_PIN.repo}@${KERNEL_PIN.commit.slice(0, 12)}).${collision}${threads}`;
  if (!color) return text;
  return mismatches ? pc.red(text) : incomplete ? pc.yellow(text) : pc.green(text);
}


/** What to write where, if the new result is the right one. */
function expectationHint(r: CheckResult): string {
  const found = r.result.violations.map((v) => v.invariant);
  const value = found.length ? `[${found.join(', ')}]` : 'holds';
  switch (r.expectation.source) {
    case 'scenario-file':
      return `if this is right, write \`${r.variant}: ${value}\` under \`expect:\` in the scenario file`;
    case 'manifest':
      return 'if this is right, record it with `iommu-mc check --write-manifest src/scenarios/manifest.json`';
    case 'variant-file':
      return `if this is right, set \`breaks: [${found.map((i) => `'${i}'`).join(', ')}]\` in the variant file`;
    case 'decision':
      return "if this is right, update the decision record's expectation";
    case 'default':
      return `nothing was expected, so "holds" was assumed: write \`${r.variant}: ${value}\` under \`expect:\` in a scenario file, or record a built-in with --write-manifest`;
  }
}

/** One line per mismatch: which row, what was found against what was expected, and what to change if the new result is right. */
export function formatMismatches(results: readonly CheckResult[], tracesShown: boolean): string {
  const rows = results.filter(isMismatch);
  if (rows.length === 0) return '';
  const lines = rows.map((r) => {
    const found = r.result.violations.length ? `violated ${r.result.violations.map((v) => v.invariant).join(',')}` : 'holds';
    const cut = r.complete ? '' : ` (before a bound cut the run short: ${r.result.bound})`;
    return `  ${r.scenario} × ${r.variant}: found ${found}${cut}, expected ${expectedText(r)}${tracesShown && r.unexpected.length ? '; its trace is above, marked UNEXPECTED' : ''}; ${expectationHint(r)}`;
  });
  return `Mismatches:\n${lines.join('\n')}`;
}

/** The call that first gives a context's path a device: if it never succeeds, nothing reaches user space that way. */
const PATH_ENTRY = { 'vfio-group': 'vfio_group_fops_open', iommufd: 'vfio_df_ioctl_bind_iommufd' } as const;

/** The call that hands a context's path a device user space can drive (its fd, its binding): what a refused context never gets. */
const EXPOSED = { 'vfio-group': 'vfio_group_ioctl_get_device_fd', iommufd: 'vfio_df_ioctl_bind_iommufd' } as const;

/**
 * Why a check may be vacuous: no transition at all, or a context path whose first call never
 * succeeded (the scenario let nothing reach user space that way, so "holds" says little about it).
 * A context the scenario expects the kernel to refuse (`expectRefused`) is the other way round:
 * under `current`, a path whose first call succeeded is the warning; under other variants, nothing.
 */
export function vacuityWarnings(r: CheckResult): string[] {
  if (r.result.transitions === 0) return [`${r.scenario} × ${r.variant}: no kernel call was ever possible (0 transitions): the verdict is vacuous`];
  if (!r.complete) return [];
  const cov = r.result.coverage;
  return r.model.scenario.contexts.flatMap((c) =>
    c.paths.flatMap((path) => {
      const entry = PATH_ENTRY[path];
      const e = cov[entry];
      if (c.expectRefused) {
        const exposed = cov[EXPOSED[path]];
        if (r.variant !== 'current' || !exposed || exposed.ok === 0) return [];
        return [`${r.scenario} × ${r.variant}: context ${c.name} is expected to be refused (expectRefused) but got a device on its ${path} path: ${EXPOSED[path]} succeeded ${exposed.ok} time(s)`];
      }
      if (e && e.ok > 0) return [];
      const why = e && e.enabled > 0 ? `it failed every time (${Object.entries(e.errnos).map(([k, n]) => `-${k}×${n}`).join(', ')})` : 'it was never possible';
      return [`${r.scenario} × ${r.variant}: context ${c.name} never took a device on its ${path} path: ${entry} ${why}`];
    }),
  );
}

/** The vacuity warnings of a run, one line each, or '' when there are none. */
export function formatWarnings(results: readonly CheckResult[]): string {
  const lines = results.flatMap(vacuityWarnings);
  return lines.length ? `Warnings (a check that exercised little proves little):\n${lines.map((l) => `  ${l}`).join('\n')}` : '';
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
      mismatch: isMismatch(r),
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
      violations: r.result.violations.map((v) => ({ invariant: v.invariant, kind: v.kind, reason: nameContexts(v.reason, modelFor(r, v).scenario), steps: stepsJson(v, modelFor(r, v)) })),
      coverage: r.result.coverage,
      warnings: vacuityWarnings(r),
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
