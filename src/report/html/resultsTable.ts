/**
 * The jobs table of the HTML report and its filter bar. Each row carries its filterable values
 * as `data-` attributes (space-separated tokens) and has a detail row below it, hidden until the
 * row is opened; the page's script (clientScript.ts) does the filtering and the opening.
 */
import { esc, tokens } from './escape.ts';

export interface TableRow {
  /** Unique in the page: the row's id (`job-3`), and `job-3-detail` for its detail row. */
  id: string;
  /** Filterable values: `data-KEY="token token"`; `scenario` and `variant` also feed the search box. */
  data: Record<string, readonly string[]>;
  /** The cells, already HTML; `num` cells are right-aligned. */
  cells: { html: string; num?: boolean }[];
  /** The detail shown when the row is opened, already HTML. */
  detail: string;
}

export interface Filter {
  /** The `data-` key it filters on. */
  key: string;
  label: string;
  options: readonly { value: string; label: string }[];
}

/** A select for each filter, a search box, expand/collapse and reset buttons, and the shown count. */
function filterBar(filters: readonly Filter[]): string {
  const selects = filters.map((f) => {
    const opts = f.options.map((o) => `<option value="${esc(o.value.replace(/\s+/g, '_'))}">${esc(o.label)}</option>`).join('');
    return `<label>${esc(f.label)} <select data-filter="${esc(f.key)}"><option value="">all</option>${opts}</select></label>`;
  });
  return `<div class="filters">${selects.join('')}<label>search <input type="search" data-search placeholder="scenario or variant"></label><button type="button" data-expand="open">Expand shown</button><button type="button" data-reset>Reset</button><span class="count"></span></div>`;
}

/** The filter bar and the table; `header` names the columns after the toggle column. */
export function resultsTable(header: readonly { label: string; num?: boolean }[], rows: readonly TableRow[], filters: readonly Filter[]): string {
  const head = `<tr><th></th>${header.map((h) => `<th${h.num ? ' class="num"' : ''}>${esc(h.label)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => {
    const data = Object.entries(r.data).map(([k, v]) => ` data-${esc(k)}="${tokens(v)}"`).join('');
    const cls = (r.data['verdict'] ?? []).includes('mismatch') ? 'job mismatch' : 'job';
    const cells = r.cells.map((c) => `<td${c.num ? ' class="num"' : ''}>${c.html}</td>`).join('');
    return `<tr id="${esc(r.id)}" class="${cls}"${data} tabindex="0" aria-expanded="false" aria-controls="${esc(r.id)}-detail"><td><span class="toggle">▸</span></td>${cells}</tr>
<tr id="${esc(r.id)}-detail" class="detail" hidden><td colspan="${header.length + 1}">${r.detail}</td></tr>`;
  });
  return `${filterBar(filters)}
<table class="results"><thead>${head}</thead><tbody>
${body.join('\n')}
</tbody></table>`;
}

/** A filter's options from the values the rows have, in first-seen order, each with its count. */
export function optionsOf(rows: readonly TableRow[], key: string, label: (v: string) => string = (v) => v): Filter['options'] {
  const counts = new Map<string, number>();
  for (const r of rows) for (const v of new Set(r.data[key] ?? [])) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].map(([value, n]) => ({ value, label: `${label(value)} (${n})` }));
}
