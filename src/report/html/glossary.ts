/**
 * The report's reference section: each invariant a job names (description and kernel
 * reference) and each variant of the run (kind, description, source, the kernel functions it
 * replaces), with the anchors the tables and traces link to.
 */
import { findInvariant, INVARIANTS } from '../../invariants/index.ts';
import type { Variant } from '../../machines/variants/index.ts';
import { esc } from './escape.ts';

/** Where a name's reference entry is: unique fragment ids for invariants and variants. */
export interface Links {
  invariant(id: string): string;
  variant(name: string): string;
}

/** Unique ids `prefix-NAME` (unsafe characters as `_`, a counter where two names meet). */
function uniqueIds(prefix: string, names: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const n of names) {
    if (out.has(n)) continue;
    const base = `${prefix}-${n.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
    let id = base;
    for (let i = 2; used.has(id); i++) id = `${base}-${i}`;
    used.add(id);
    out.set(n, id);
  }
  return out;
}

/** The anchors of the registry's invariants and of `variants`. */
export function makeLinks(variants: readonly Variant[]): Links {
  const inv = uniqueIds('inv', INVARIANTS.map((i) => i.id));
  const vs = uniqueIds('variant', variants.map((v) => v.name));
  return {
    invariant: (id) => inv.get(id) ?? `inv-${id.replace(/[^A-Za-z0-9_.-]/g, '_')}`,
    variant: (name) => vs.get(name) ?? `variant-${name.replace(/[^A-Za-z0-9_.-]/g, '_')}`,
  };
}

/** `<a>` chips for invariant ids, each to its reference entry; `broken` marks them red. */
export const invariantChips = (ids: readonly string[], links: Links, broken = false): string =>
  ids.map((id) => `<a class="chip${broken ? ' broken' : ''}" href="#${links.invariant(id)}" title="${esc(findInvariant(id)?.name ?? id)}">${esc(id)}</a>`).join('');

/** A link to a variant's reference entry. */
export const variantLink = (name: string, links: Links): string => `<a href="#${links.variant(name)}">${esc(name)}</a>`;

/** The invariants `ids` names, in registry order, with description and kernel reference. */
function invariantEntries(ids: ReadonlySet<string>, links: Links): string {
  return INVARIANTS.filter((i) => ids.has(i.id))
    .map(
      (i) => `<dt id="${links.invariant(i.id)}"><code>${esc(i.id)}</code> ${esc(i.name)}<span class="kind">${i.check ? 'state' : 'step'}</span></dt>
<dd>${esc(i.description)}<br><span class="ref">kernel: ${esc(i.kernelRef)}</span></dd>`,
    )
    .join('\n');
}

function variantEntry(v: Variant, links: Links): string {
  const rules = Object.keys(v.overrides);
  const replaced = rules.length ? `replaces ${rules.map((r) => `<code>${esc(r)}</code>`).join(', ')}` : 'no kernel function replaced: the rules of the pinned kernel';
  const breaks = v.breaks.length ? ` · expected to break ${invariantChips(v.breaks, links)}` : '';
  return `<dt id="${links.variant(v.name)}"><code>${esc(v.name)}</code><span class="kind">${esc(v.kind)}</span></dt>
<dd>${esc(v.description)}<br><span class="ref">source: ${esc(v.source)}</span><br><span class="muted">${replaced}${breaks}</span></dd>`;
}

/** The reference section: the invariants named in `ids` and every variant in `variants`. */
export function glossaryHtml(ids: Iterable<string>, variants: readonly Variant[], links: Links): string {
  const set = new Set(ids);
  for (const v of variants) for (const b of v.breaks) set.add(b);
  const seen = new Set<string>();
  const unique = variants.filter((v) => !seen.has(v.name) && seen.add(v.name));
  return `<section class="reference">
<h2>Invariants</h2>
<dl class="glossary">
${invariantEntries(set, links)}
</dl>
<h2>Variants</h2>
<dl class="glossary">
${unique.map((v) => variantEntry(v, links)).join('\n')}
</dl>
</section>`;
}
