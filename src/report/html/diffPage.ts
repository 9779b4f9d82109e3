/**
 * `diff A B --html FILE`: one row per scenario (from the same object as `diff --json`,
 * diffReport.ts diffJson), each opening to the first divergence with both outcomes side by side,
 * the shortest trace to a state only one variant reaches, and the counterexamples of the
 * invariants one variant breaks and the other keeps.
 */
import type { Outcome, ScenarioDiff, Witness } from '../../engine/diff.ts';
import type { Model } from '../../machines/model.ts';
import { KERNEL_PIN } from '../../kernel/version.ts';
import { recordCalls } from '../callTree.ts';
import { diffJson, formatDiffSummary, type DiffModels } from '../diffReport.ts';
import { actorName, formatCall } from '../formatEvent.ts';
import { summarizeState } from '../formatTrace.ts';
import { diffStates } from '../stateDiff.ts';
import { esc } from './escape.ts';
import { glossaryHtml, invariantChips, makeLinks, variantLink, type Links } from './glossary.ts';
import { htmlPage, type HtmlOptions } from './page.ts';
import { optionsOf, resultsTable, type TableRow } from './resultsTable.ts';
import { chainHtml, changesHtml, retHtml, stepsHtml, violationHtml } from './traceSteps.ts';

type Pair = { diff: ScenarioDiff; models: DiffModels };
type SideJson = ReturnType<typeof diffJson>['scenarios'][number]['a'];

const ret = (errno: string | null): string => retHtml(errno ? `-${errno}` : '0');

function sideCell(s: SideJson, links: Links): string {
  return `<span class="badge ${esc(s.status)}">${esc(s.status)}</span> ${invariantChips(s.invariants, links, true)}`;
}

/** One variant's outcome of the diverging call: return value, call chain, state changes. */
function outcomeHtml(o: Outcome, d: ScenarioDiff, m: Model, links: Links): string {
  const dv = d.divergence!;
  const calls = recordCalls(m, dv.from, dv.event).filter((r) => r.depth > 0 || r.fn !== dv.event.type);
  return `<div class="outcome"><div class="call">${variantLink(m.variant.name, links)} = ${ret(o.errno)}</div>${chainHtml(calls)}${o.state ? changesHtml(diffStates(dv.from, o.state, m.scenario)) : '<div class="nochange">no state change</div>'}</div>`;
}

function divergenceHtml(d: ScenarioDiff, { a, b }: DiffModels, links: Links): string {
  const dv = d.divergence;
  if (!dv) return '<p class="muted">No divergence: every call sequence behaves alike in both.</p>';
  const what = dv.kind === 'ok-vs-error' ? 'one call succeeds where the other fails' : 'the same call leads to different states';
  const driver = 'dev' in dv.event ? dv.from.devices[dv.event.dev]?.driver : null;
  const outcomes = `<div class="outcomes">${outcomeHtml(dv.a, d, a, links)}${outcomeHtml(dv.b, d, b, links)}</div>`;
  const call = `<li><span class="stepno">${dv.prefix.length + 1}</span><div><div class="call"><span class="actor">${esc(actorName(dv.event, a.scenario, driver))}</span> ${esc(formatCall(dv.event, a.scenario))}</div>${outcomes}</div></li>`;
  return `<h3>First divergence after ${dv.prefix.length + 1} call${dv.prefix.length ? 's' : ''}: ${what}</h3>
${stepsHtml({ init: a.init, steps: dv.prefix }, a)}
<ol class="steps diverging" start="${dv.prefix.length + 1}">${call}</ol>`;
}

/** The shortest trace to a state only `mine` reaches, each step with what `other` does on it. */
function witnessHtml(w: Witness, mine: Model, other: Model, links: Links): string {
  const note = (i: number) => {
    const r = w.other[i];
    const theirs = !r ? '<span class="muted">not reached</span>' : r.enabled ? ret(r.errno) : '<span class="ret err">cannot make this call</span>';
    return ` <span class="muted">· ${esc(other.variant.name)}:</span> ${theirs}`;
  };
  const last = w.steps[w.steps.length - 1]!.state;
  return `<h3>Only ${variantLink(mine.variant.name, links)} reaches this state (${w.steps.length} call${w.steps.length === 1 ? '' : 's'})</h3>
${stepsHtml({ init: mine.init, steps: w.steps }, mine, note)}
<div class="init">ends in: ${esc(summarizeState(last, mine))}</div>`;
}

function pairDetail(p: Pair, i: number, links: Links): string {
  const { diff: d, models } = p;
  if (d.identical) return `<p class="muted">No difference: same invariants, the same ${d.a.states} reachable states, every call behaves alike.</p>`;
  const parts = [`<dl class="meta"><dt>states</dt><dd>${esc(models.a.variant.name)} ${d.a.states}, ${esc(models.b.variant.name)} ${d.b.states}, ${d.commonStates} in both; only ${esc(models.a.variant.name)} ${d.a.onlyStates}, only ${esc(models.b.variant.name)} ${d.b.onlyStates}</dd></dl>`];
  if (d.sameStart) parts.push(divergenceHtml(d, models, links));
  else parts.push('<p class="muted">The two sides start from different states (two grouping rules, or a variant of a rule the kernel applies at boot): no call sequence is common to both.</p>');
  if (d.sameStart && d.a.witness) parts.push(witnessHtml(d.a.witness, models.a, models.b, links));
  if (d.sameStart && d.b.witness) parts.push(witnessHtml(d.b.witness, models.b, models.a, links));
  for (const [side, m, key] of [[d.a, models.a, 'a'], [d.b, models.b, 'b']] as const) {
    side.result.violations.filter((v) => side.onlyInvariants.includes(v.invariant)).forEach((v, k) => {
      parts.push(`<h3>${variantLink(m.variant.name, links)} breaks ${invariantChips([v.invariant], links, true)} (the other keeps it)</h3>${violationHtml(v, m, links, `job-${i}-${key}${k}`)}`);
    });
  }
  return parts.join('\n');
}

function pairRow(p: Pair, j: ReturnType<typeof diffJson>['scenarios'][number], i: number, links: Links): TableRow {
  const verdict = [j.identical ? 'identical' : 'differs', ...(j.complete ? [] : ['incomplete'])];
  const breakers = [j.a, j.b].filter((s) => s.invariants.length).map((s) => s.variant);
  const only = (s: SideJson) => (s.onlyInvariants.length ? invariantChips(s.onlyInvariants, links, true) : '<span class="muted">-</span>');
  const badge = j.identical ? '<span class="badge holds">identical</span>' : '<span class="badge violated">differs</span>';
  return {
    id: `job-${i}`,
    data: { verdict, invariants: [...new Set([...j.a.invariants, ...j.b.invariants])], variant: [...new Set(breakers)], scenario: [j.scenario] },
    cells: [
      { html: esc(j.scenario) },
      { html: `${badge}${j.complete ? '' : ' <span class="badge incomplete">incomplete</span>'}` },
      { html: sideCell(j.a, links) },
      { html: sideCell(j.b, links) },
      { html: only(j.a) },
      { html: only(j.b) },
      { html: `${j.a.states} / ${j.b.states}`, num: true },
      { html: String(j.commonStates), num: true },
    ],
    detail: pairDetail(p, i, links),
  };
}

/** The page of a diff run. */
export function diffReportHtml(pairs: readonly Pair[], exitCode: number, options: HtmlOptions = {}): string {
  const json = diffJson(pairs, exitCode);
  const first = pairs[0]?.models;
  const variants = first ? [first.a.variant, first.b.variant] : [];
  const [A, B] = [first?.a.variant.name ?? 'A', first?.b.variant.name ?? 'B'];
  const links = makeLinks(variants);
  const rows = pairs.map((p, i) => pairRow(p, json.scenarios[i]!, i, links));
  const table = resultsTable(
    [{ label: 'scenario' }, { label: 'verdict' }, { label: A }, { label: B }, { label: `only ${A} breaks` }, { label: `only ${B} breaks` }, { label: 'states A / B', num: true }, { label: 'common', num: true }],
    rows,
    [
      { key: 'verdict', label: 'verdict', options: optionsOf(rows, 'verdict') },
      { key: 'invariants', label: 'invariant', options: optionsOf(rows, 'invariants') },
      { key: 'variant', label: 'broken by', options: optionsOf(rows, 'variant') },
    ],
  );
  const ids = json.scenarios.flatMap((s) => [...s.a.invariants, ...s.b.invariants]);
  const body = `<p>${esc(formatDiffSummary(pairs.map((p) => p.diff), A, B))}</p>
<h2>Scenarios</h2>
<p class="muted">Click a row to open the first divergence, the shortest trace to a state only one variant reaches, and the counterexamples of the invariants only one of them breaks.</p>
${table}
${glossaryHtml(ids, variants, links)}`;
  return htmlPage(
    {
      title: `iommu-mc diff: ${A} vs ${B}`,
      subtitle: `${pairs.length} scenario${pairs.length === 1 ? '' : 's'}, exit code ${exitCode}; kernel ${KERNEL_PIN.version}, ${KERNEL_PIN.repo}@${KERNEL_PIN.commit.slice(0, 12)}`,
      body,
      footer: 'Generated by iommu-mc diff --html. Self-contained: no network access needed.',
    },
    options,
  );
}
