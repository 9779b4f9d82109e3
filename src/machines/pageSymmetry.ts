/**
 * Symmetry of physical pages (issue 15 point 8; docs/design/translation-path.md section 5): the
 * page numbers of a group's pool are names, not data. The allocator picks the lowest free page,
 * so after frees and reuses two histories that differ only in which page number went where give
 * states that differ only by a renaming of the pages. canonicalPages renumbers them in a fixed
 * order so that such states become one state.
 *
 * The order: first the pages that are not free and that nothing names (a page reused by another
 * owner once no cache names it: it never changes again, so its number stays put and traces show
 * few renamings), by content; then the pages a translation or handle names, by first occurrence
 * in a fixed walk (the default domain's PTEs by IOVA, the DMA handles' phys then buffer, the user
 * PTEs by IOVA, the user unmap in progress, the IOTLB entries, the ATC entries); free pages after
 * all others, named ones by first occurrence, then unnamed ones. The allocator's lowest-free
 * choice then picks among free pages only, first one a translation still names (the page just
 * freed, as the original numbering mostly did), else any unnamed free page (those are
 * interchangeable).
 *
 * IOVA pages are not renamed: events name them (dma_unmap_page, dma_untranslated,
 * ats_translation_request), so a trace would show a mapping move between IOVAs from one step to
 * the next; the flush queue and the IOVA allocator's lowest-free choice are part of the kernel's
 * behaviour (iommu_dma_alloc_iova), and the default domain and the user domains share the index.
 */
import type { AtcEntry } from './ats.ts';
import type { Translation } from './ioPagetable.ts';
import type { IotlbEntry } from './iotlb.ts';
import type { PhysPage } from './pages.ts';
import { mayDiffer, updateGroup, type SystemState } from './state.ts';
import type { GroupTranslation } from './translation.ts';

/** The page numbers `t` names, in the walk's order (with repeats). */
function namedInWalkOrder(t: GroupTranslation): number[] {
  const out: number[] = [];
  for (const p of t.pagetable.ptes) if (p) out.push(p.phys);
  for (const h of t.handles) out.push(h.phys, h.buffer);
  for (const p of t.user?.ptes ?? []) if (p) out.push(p.phys);
  if (t.user?.unmap) out.push(t.user.unmap.phys);
  for (const e of t.iotlb) out.push(e.phys);
  for (const e of t.ats?.atc ?? []) out.push(e.phys);
  return out;
}

/** A page's content as a sort key (pages with equal content and no name are interchangeable). */
const contentKey = (p: PhysPage): string => `${p.state}:${'dev' in p ? p.dev : 'ctx' in p ? p.ctx : ''}`;

/** The renaming old page -> new page of `t`, or null when it is the identity. */
function canonicalRenaming(t: GroupTranslation): number[] | null {
  const first = new Map<number, number>();
  for (const phys of namedInWalkOrder(t)) if (!first.has(phys)) first.set(phys, first.size);
  const key = (phys: number): [number, number, string] => {
    const p = t.pages[phys]!;
    return [p.state === 'free' ? 2 : first.has(phys) ? 1 : 0, first.get(phys) ?? Number.MAX_SAFE_INTEGER, first.has(phys) ? '' : contentKey(p)];
  };
  const keys = t.pages.map((_, phys) => key(phys));
  const order = t.pages.map((_, phys) => phys).sort((a, b) => {
    const x = keys[a]!;
    const y = keys[b]!;
    return x[0] - y[0] || x[1] - y[1] || (x[2] < y[2] ? -1 : x[2] > y[2] ? 1 : a - b);
  });
  if (order.every((phys, i) => phys === i)) return null;
  const to: number[] = [];
  order.forEach((phys, i) => (to[phys] = i));
  return to;
}

/**
 * `t` with its physical pages renumbered in the canonical order (see the module comment): every
 * field that names a page (PTEs, DMA handles, user PTEs and unmap, IOTLB and ATC entries) and the
 * pool itself. Idempotent; returns `t` itself when it is canonical already.
 */
export function canonicalPages(t: GroupTranslation): GroupTranslation {
  const to = canonicalRenaming(t);
  if (!to) return t;
  const re = <T extends Translation>(x: T): T => ({ ...x, phys: to[x.phys]! });
  const pages: PhysPage[] = [];
  t.pages.forEach((p, phys) => (pages[to[phys]!] = p));
  const pagetable = { ...t.pagetable, ptes: t.pagetable.ptes.map((p) => (p ? re(p) : p)) };
  const handles = t.handles.map((h) => ({ ...h, phys: to[h.phys]!, buffer: to[h.buffer]! }));
  const iotlb = t.iotlb.map((e: IotlbEntry) => re(e));
  const ats = t.ats ? { ...t.ats, atc: t.ats.atc.map((e: AtcEntry) => re(e)) } : undefined;
  const user = t.user ? { ptes: t.user.ptes.map((p) => (p ? re(p) : p)), unmap: t.user.unmap ? { ...t.user.unmap, phys: to[t.user.unmap.phys]! } : null } : undefined;
  return { ...t, pages, pagetable, iotlb, handles, ...(ats ? { ats } : {}), ...(user ? { user } : {}) };
}

/**
 * `s` with every group's translation state in canonical page order (canonicalPages); `s` itself
 * when nothing changed. With `before` (the state `s` was computed from, whose translations are
 * canonical), a group whose translation the call left alone is skipped without reading it.
 */
export function canonicalPagesIn(s: SystemState, before?: SystemState): SystemState {
  let out = s;
  s.groups.forEach((grp, g) => {
    const was = before?.groups[g];
    if (was !== undefined && !mayDiffer(was, grp, 'translation')) return;
    const t = grp.translation;
    if (!t) return;
    const c = canonicalPages(t);
    if (c !== t) out = updateGroup(out, g, { translation: c });
  });
  return out;
}
