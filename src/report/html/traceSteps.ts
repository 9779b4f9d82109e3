/**
 * A counterexample in the HTML report: the broken invariant and its reason, the DMA route on
 * the topology where the violation has one, the numbered steps (actor, kernel call, return
 * value, the chain of kernel functions it ran, the state fields it changed) and the Mermaid
 * sequence diagram, rendered in the page by the inlined mermaid bundle.
 */
import type { TraceStep, Violation } from '../../engine/types.ts';
import { findInvariant } from '../../invariants/index.ts';
import type { Model } from '../../machines/model.ts';
import type { SystemState } from '../../machines/state.ts';
import type { CallRecord } from '../callTree.ts';
import type { DmaAccess } from '../dmaAccess.ts';
import { innerCalls, summarizeState } from '../formatTrace.ts';
import { toMermaid } from '../mermaid.ts';
import { diffStates, nameContexts, showValue, type FieldChange } from '../stateDiff.ts';
import { traceRows, type TraceRow } from '../traceRows.ts';
import { esc } from './escape.ts';
import { invariantChips, type Links } from './glossary.ts';
import { violationRoute } from './route.ts';
import { routeHtml } from './topologyTree.ts';

const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;

/** The return value, green for 0 and red for an errno. */
export const retHtml = (ret: string): string => `<span class="ret ${ret === '0' ? 'ok' : 'err'}">${esc(ret)}</span>`;

/** The state fields one step changed, as a table `field  before → after`. */
export function changesHtml(changes: readonly FieldChange[]): string {
  if (!changes.length) return '<div class="nochange">no state change</div>';
  const rows = changes.map((c) => `<tr><td>${esc(c.path)}</td><td class="from">${esc(showValue(c.from))}</td><td class="arrow">→</td><td class="to">${esc(showValue(c.to))}</td></tr>`);
  return `<table class="changes">${rows.join('')}</table>`;
}

/** Kernel functions as a call chain, indented by depth, errnos in red. */
export function chainHtml(calls: readonly CallRecord[]): string {
  if (!calls.length) return '';
  const items = calls.map((r) => {
    const err = r.errno ? ` = <span class="errno">-${esc(r.errno)}</span>${r.reason ? ` <span class="muted">(${esc(r.reason)})</span>` : ''}` : '';
    return `<li style="padding-left:${Math.max(0, r.depth) * 16}px">${esc(r.fn)}${err}</li>`;
  });
  return `<ul class="chain">${items.join('')}</ul>`;
}

/** A device's DMA access: device, IOVA, how the IOMMU served it, the page reached; red when stale. */
export const accessHtml = (a: DmaAccess | null): string => (a ? `<div class="dma${a.stale ? ' stale' : ''}"><span class="muted">DMA:</span> ${esc(a.text)}</div>` : '');

/** One step: number, actor, call = return value, its call chain, its state changes and its DMA access. */
function stepHtml(model: Model, row: TraceRow, after: SystemState, n: number, extra = ''): string {
  return `<li><span class="stepno">${n}</span><div><div class="call"><span class="actor">${esc(row.actor)}</span> ${esc(row.call)} = ${retHtml(row.ret)}${extra}</div>
${chainHtml(innerCalls(model, row))}${changesHtml(diffStates(row.before, after, model.scenario))}${accessHtml(row.access)}</div></li>`;
}

/** Steps from `init`: the initial state as step 0, then one item per call. */
export function stepsHtml(trace: { init: SystemState; steps: readonly TraceStep[] }, model: Model, note: (i: number) => string = () => ''): string {
  const rows = traceRows({ init: trace.init, steps: [...trace.steps] }, model);
  const items = rows.map((row, i) => stepHtml(model, row, trace.steps[i]!.state, i + 1, note(i)));
  return `<ol class="steps"><li><span class="stepno">0</span><div class="init">${esc(summarizeState(trace.init, model))}</div></li>
${items.join('\n')}</ol>`;
}

/** The broken invariant's reason; a reason that carries a sequence (`a | b | c`) one part a line. */
function reasonHtml(v: Violation, model: Model): string {
  return `<div class="reason">${esc(nameContexts(v.reason, model.scenario).split(' | ').join('\n'))}</div>`;
}

/** A Mermaid diagram, rendered in the page when its job is opened. */
export const diagramHtml = (mermaidText: string): string => `<div class="diagram"><pre class="mermaid">${esc(mermaidText)}</pre></div>`;

/** One counterexample; `id` is unique in the page (it names the route drawing's marker). */
export function violationHtml(v: Violation, model: Model, links: Links, id: string): string {
  const inv = findInvariant(v.invariant);
  const route = violationRoute(v, model);
  const when = v.steps.length ? `broken after ${plural(v.steps.length, 'step')}` : 'broken in the initial state';
  return `<div class="violation" id="${esc(id)}">
<div class="vhead">${invariantChips([v.invariant], links, true)} <b>${esc(inv?.name ?? v.invariant)}</b> <span class="muted">${when} (${v.kind === 'step' ? 'by the last call' : 'in the last state'})</span></div>
<div class="vbody">
${reasonHtml(v, model)}
${route ? routeHtml(route, id) : ''}
<h4>Steps</h4>
${stepsHtml(v, model)}
<h4>Sequence diagram</h4>
${diagramHtml(toMermaid(v, model))}
</div></div>`;
}
