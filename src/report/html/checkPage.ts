/**
 * `check --html FILE`: the whole run as one page. The table comes from the same object as
 * `--json` (checkReport.ts checkJson); each job opens to its expectation, its IOMMU groups and
 * every counterexample (traceSteps.ts); the reference section explains each invariant and variant.
 */
import { isMismatch, modelFor, type CheckResult } from '../../engine/check.ts';
import { KERNEL_PIN } from '../../kernel/version.ts';
import { checkJson, formatSummary } from '../checkReport.ts';
import { esc } from './escape.ts';
import { glossaryHtml, invariantChips, makeLinks, variantLink, type Links } from './glossary.ts';
import { htmlPage, type HtmlOptions } from './page.ts';
import { optionsOf, resultsTable, type TableRow } from './resultsTable.ts';
import { violationHtml } from './traceSteps.ts';

type JobJson = ReturnType<typeof checkJson>['results'][number];

const fmtInt = (n: number): string => n.toLocaleString('en-US');

/** `expected`, `mismatch`, or nothing for a run cut short that found nothing unexpected. */
const matchToken = (r: CheckResult): string[] => (r.matchesExpectation ? ['expected'] : isMismatch(r) ? ['mismatch'] : []);

/** The verdict cell: ✓/✗ against the expectation, the status badge, the invariants found broken. */
function verdictCell(r: CheckResult, j: JobJson, links: Links): string {
  const found = j.violations.map((v) => v.invariant);
  const mark = j.matchesExpectation
    ? '<span class="match yes" title="as expected">✓</span>'
    : isMismatch(r)
      ? '<span class="match no" title="not as expected">✗</span>'
      : '<span class="match cut" title="cut short by a bound: not judged">…</span>';
  const bound = j.bound ? ` <span class="muted">(${esc(j.bound)})</span>` : '';
  return `${mark}<span class="badge ${esc(j.status)}">${esc(j.status)}</span>${bound} ${invariantChips(found, links, true)}`;
}

function expectedCell(j: JobJson, links: Links): string {
  return `<span class="muted">${esc(j.expected)}</span> ${invariantChips(j.expectedInvariants, links)}`;
}

/** What the job's detail says before its counterexamples. */
function jobMeta(r: CheckResult, j: JobJson, links: Links): string {
  const groups = j.groups.groups.map((g) => `group ${esc(g.name)}: ${g.devices.map((d) => esc(d.name)).join(', ') || '<span class="muted">no device</span>'}`).join('; ');
  const rule = j.groups.rule ? ` <span class="muted">(grouping ${esc(j.groups.rule)}${j.groups.assumption ? `, depends on ${esc(j.groups.assumption)}` : ''})</span>` : '';
  const notJudged = j.notJudged.length ? `<dt>not judged</dt><dd>${j.notJudged.map((n) => `${invariantChips([n.id], links)} <span class="muted">${esc(n.why)}</span>`).join('<br>')}</dd>` : '';
  const parts = j.components ? `<dt>decomposed</dt><dd>${j.components.map((c) => `{${esc(c.groups.join(', '))}}: ${fmtInt(c.states)} states`).join('; ')}</dd>` : '';
  const unexpected = r.unexpected.length ? ` found unexpectedly: ${invariantChips(r.unexpected, links, true)}` : '';
  const missing = r.missing.length ? ` expected but not found: ${invariantChips(r.missing, links)}` : '';
  const cut = j.complete ? '' : `<dt>cut short</dt><dd>by ${esc(j.bound)}: violations may be missing</dd>`;
  const mismatch = (isMismatch(r) ? `<dt>mismatch</dt><dd>${unexpected}${j.complete ? missing : ''}</dd>` : '') + cut;
  return `<dl class="meta">
<dt>variant</dt><dd>${variantLink(j.variant, links)}</dd>
<dt>expected</dt><dd>${expectedCell(j, links)} <span class="muted">(from ${esc(j.expectationSource)})</span></dd>${mismatch}
<dt>explored</dt><dd>${fmtInt(j.distinctStates)} states, ${fmtInt(j.transitions)} transitions, depth ${j.depth}, ${j.seconds.toFixed(2)} s${j.symmetry ? ' (symmetry reduced)' : ''}${j.fingerprints ? ' (fingerprints)' : ''}</dd>
<dt>IOMMU groups</dt><dd>${groups}${rule}</dd>${parts}${notJudged}
</dl>`;
}

/** One job's row: cells, filter data and its detail (the counterexamples). */
function jobRow(r: CheckResult, j: JobJson, i: number, links: Links): TableRow {
  const found = j.violations.map((v) => v.invariant);
  const violations = r.result.violations.map((v, k) => violationHtml(v, modelFor(r, v), links, `job-${i}-v${k}`));
  const none = r.status === 'holds' ? `<p class="muted">No invariant broken in ${fmtInt(j.distinctStates)} reachable states.</p>` : '';
  return {
    id: `job-${i}`,
    data: { verdict: [j.status, ...matchToken(r)], invariants: [...new Set([...found, ...j.expectedInvariants])], variant: [j.variant], scenario: [j.scenario] },
    cells: [
      { html: esc(j.scenario) },
      { html: variantLink(j.variant, links) },
      { html: verdictCell(r, j, links) },
      { html: expectedCell(j, links) },
      { html: fmtInt(j.distinctStates), num: true },
      { html: fmtInt(j.transitions), num: true },
      { html: String(j.depth), num: true },
      { html: `${j.seconds.toFixed(2)} s`, num: true },
    ],
    detail: `${jobMeta(r, j, links)}\n${violations.join('\n')}${none}`,
  };
}

/** The headline numbers as cards. */
function cards(results: readonly CheckResult[]): string {
  const mismatches = results.filter(isMismatch).length;
  const incomplete = results.filter((r) => !r.complete && !isMismatch(r)).length;
  const asExpected = results.filter((r) => r.matchesExpectation).length;
  const violated = results.filter((r) => r.status === 'violated').length;
  const states = results.reduce((a, r) => a + r.result.distinctStates, 0);
  const secs = results.reduce((a, r) => a + r.result.seconds, 0);
  const card = (n: string, what: string, cls = '') => `<div class="card ${cls}"><b>${n}</b><span>${what}</span></div>`;
  return `<div class="cards">${card(String(results.length), 'checks')}${card(String(asExpected), 'as expected', 'ok')}${card(String(mismatches), 'mismatches', mismatches ? 'bad' : '')}${card(String(incomplete), 'incomplete', incomplete ? 'warn' : '')}${card(String(violated), 'with a counterexample')}${card(fmtInt(states), 'states')}${card(`${secs.toFixed(2)} s`, 'exploring')}</div>`;
}

const VERDICT_LABELS: Record<string, string> = { holds: 'holds', violated: 'violated', incomplete: 'incomplete', expected: 'as expected', mismatch: 'mismatch' };

/** The page of a check run. */
export function checkReportHtml(results: readonly CheckResult[], exitCode: number, options: HtmlOptions = {}): string {
  const json = checkJson(results, exitCode);
  const variants = [...new Map(results.map((r) => [r.variant, r.model.variant])).values()];
  const links = makeLinks(variants);
  const rows = results.map((r, i) => jobRow(r, json.results[i]!, i, links));
  const table = resultsTable(
    [{ label: 'scenario' }, { label: 'variant' }, { label: 'found' }, { label: 'expected' }, { label: 'states', num: true }, { label: 'transitions', num: true }, { label: 'depth', num: true }, { label: 'time', num: true }],
    rows,
    [
      { key: 'verdict', label: 'verdict', options: optionsOf(rows, 'verdict', (v) => VERDICT_LABELS[v] ?? v) },
      { key: 'invariants', label: 'invariant', options: optionsOf(rows, 'invariants') },
      { key: 'variant', label: 'variant', options: optionsOf(rows, 'variant') },
    ],
  );
  const ids = json.results.flatMap((j) => [...j.violations.map((v) => v.invariant), ...j.expectedInvariants, ...j.notJudged.map((n) => n.id)]);
  const body = `${cards(results)}
<p>${esc(formatSummary(results))}</p>
<h2>Results</h2>
<p class="muted">Click a row to open its counterexamples: each step with the kernel call chain, the errno and the state it changed, the DMA route for a hardware violation, and the sequence diagram.</p>
${table}
${glossaryHtml(ids, variants, links)}`;
  return htmlPage(
    {
      title: 'iommu-mc check report',
      subtitle: `${results.length} checks, exit code ${exitCode} (${exitCode === 0 ? 'every result as expected' : exitCode === 1 ? 'a mismatch' : exitCode === 3 ? 'incomplete' : 'error'}); kernel ${KERNEL_PIN.version}, ${KERNEL_PIN.repo}@${KERNEL_PIN.commit.slice(0, 12)}`,
      body,
      footer: 'Generated by iommu-mc check --html. Self-contained: no network access needed.',
    },
    options,
  );
}
