/**
 * Device slots named inside a group's translation path and PASID state (issue 15 point 8), for
 * the engine's symmetry reduction (src/engine/packed/symmetry.ts): which slots each kernel object
 * names, the object with its slots renamed by a permutation and re-sorted in the model's own
 * order (so that the renamed state is one the model itself would build), and each slot's
 * footprint written without slot numbers (its own slot as SELF), for the canonical sort.
 *
 * Slot numbers live in: DmaHandle.dev and IoPagetable.unmap.dev (translation.ts, ioPagetable.ts);
 * PhysPage.dev of kernel, kmalloc and bounce pages (pages.ts); AtsState.enabled and AtcEntry.dev
 * (ats.ts); SvaBond.dev, GroupIopf.pri, PageRequest.dev (iopf.ts) and SvaWork.dev (svaWork.ts).
 * The IOTLB (iotlb.ts), the user page table (userMappings.ts, pinned pages name a context) and
 * the PASID values name none. Physical page numbers are renumbered by canonicalPages
 * (./pageSymmetry.ts) after the renaming, as after every call (applyEvent, events.ts).
 */
import type { AtsState } from './ats.ts';
import type { GroupIopf } from './iopf.ts';
import type { IoPagetable } from './ioPagetable.ts';
import { canonicalPages } from './pageSymmetry.ts';
import type { PhysPage } from './pages.ts';
import type { GroupTranslation } from './translation.ts';

const ascending = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

/** The slot a physical page names (the device whose driver or bounce slot holds it), or null. */
function slotOfPage(p: PhysPage): number | null {
  return p.state === 'kernel' || p.state === 'kmalloc' || p.state === 'bounce' ? p.dev : null;
}

/** The device slots group translation `t` names (with repeats): DMA handles, the unmap in progress, page owners, ATS enables and ATC entries. */
export function slotsInTranslation(t: GroupTranslation, out: number[] = []): number[] {
  for (const h of t.handles) out.push(h.dev);
  if (t.pagetable.unmap) out.push(t.pagetable.unmap.dev);
  for (const p of t.pages) {
    const d = slotOfPage(p);
    if (d !== null) out.push(d);
  }
  if (t.ats) out.push(...t.ats.enabled, ...t.ats.atc.map((e) => e.dev));
  return out;
}

/** The device slots a group's PASID state names (with repeats): SVA bonds, PRI enables, queued page requests, work in flight. */
export function slotsInIopf(iopf: GroupIopf, out: number[] = []): number[] {
  for (const b of iopf.bonds) out.push(b.dev);
  out.push(...iopf.pri);
  for (const e of iopf.prq) out.push(e.dev);
  for (const w of iopf.work ?? []) out.push(w.dev);
  return out;
}

/** `p` with its device renamed (kernel, kmalloc and bounce pages name one). */
function renamePage(p: PhysPage, perm: readonly number[]): PhysPage {
  const d = slotOfPage(p);
  return d === null || perm[d] === d ? p : ({ ...p, dev: perm[d]! } as PhysPage);
}

/** The ATS state with its slots renamed: enables kept ascending, ATC entries by (dev, iova) as atcFill keeps them (ats.ts). */
function renameAts(ats: AtsState, perm: readonly number[]): AtsState {
  const atc = ats.atc.map((e) => ({ ...e, dev: perm[e.dev]! })).sort((a, b) => a.dev - b.dev || a.iova - b.iova);
  return { ...ats, enabled: ascending(ats.enabled.map((d) => perm[d]!)), atc };
}

/**
 * Group translation `t` with every device slot renamed by `perm` (device i becomes perm[i]):
 * the DMA handles (kept by iova, as iommu_dma_map_page's model keeps them), the strict unmap in
 * progress (__iommu_dma_unmap's caller), the owners of kernel, kmalloc and bounce pages, the ATS
 * enables and ATC entries (re-sorted as ats.ts keeps them); then the pages renumbered canonically
 * (canonicalPages: the walk reads the ATC in slot order, so the renaming may move pages).
 */
export function renameSlotsInTranslation(t: GroupTranslation, perm: readonly number[]): GroupTranslation {
  const handles = t.handles.map((h) => ({ ...h, dev: perm[h.dev]! }));
  const unmap = t.pagetable.unmap;
  const pagetable: IoPagetable = unmap ? { ...t.pagetable, unmap: { ...unmap, dev: perm[unmap.dev]! } } : t.pagetable;
  const renamed: GroupTranslation = { ...t, pages: t.pages.map((p) => renamePage(p, perm)), pagetable, handles, ...(t.ats ? { ats: renameAts(t.ats, perm) } : {}) };
  return canonicalPages(renamed);
}

/**
 * A group's PASID state with every device slot renamed by `perm`, each list re-sorted as the
 * model keeps it: bonds by dev (svaBindWithPasid), PRI enables ascending (ioPgfault.ts), page
 * requests by (dev, pasid) (pageRequest), work by dev (svaWork.ts). PASID values and processes
 * are not renamed (docs/kernel-notes.md section 10, simplification 7: the allocator's lowest-free choice).
 */
export function renameSlotsInIopf(iopf: GroupIopf, perm: readonly number[]): GroupIopf {
  const bonds = iopf.bonds.map((b) => ({ ...b, dev: perm[b.dev]! })).sort((a, b) => a.dev - b.dev);
  const prq = iopf.prq.map((e) => ({ ...e, dev: perm[e.dev]! })).sort((a, b) => a.dev - b.dev || a.pasid - b.pasid);
  const out: GroupIopf = { ...iopf, bonds, pri: ascending(iopf.pri.map((d) => perm[d]!)), prq };
  return iopf.work ? { ...out, work: iopf.work.map((w) => ({ ...w, dev: perm[w.dev]! })).sort((a, b) => a.dev - b.dev) } : out;
}

/** A page as its owner sees it, without numbers: its state and whose it is (SELF or OTHER). */
function pageSeenBy(p: PhysPage | undefined, self: number): string {
  if (!p) return 'none';
  const d = slotOfPage(p);
  return d === null ? p.state : `${p.state}:${d === self ? 'SELF' : 'OTHER'}`;
}

/**
 * What group translation `t` holds for slot `self`, with no slot or page number in it (pages by
 * their content, seen from `self`): its DMA handles, its unmap in progress, the pages it owns,
 * its ATS enable and ATC entries. Equal for two slots that a permutation maps onto each other.
 */
export function translationFootprint(t: GroupTranslation, self: number): unknown[] {
  const handles = t.handles.filter((h) => h.dev === self).map((h) => [h.iova, pageSeenBy(t.pages[h.phys], self), h.phys === h.buffer ? 'same' : pageSeenBy(t.pages[h.buffer], self)]);
  const unmap = t.pagetable.unmap?.dev === self ? [t.pagetable.unmap.iova, t.pagetable.unmap.phase] : null;
  const owned = t.pages.filter((p) => slotOfPage(p) === self).map((p) => p.state).sort();
  const ats = t.ats ? [t.ats.enabled.includes(self), t.ats.atc.filter((e) => e.dev === self).map((e) => [e.iova, e.domain, e.stale, pageSeenBy(t.pages[e.phys], self)])] : null;
  return [handles, unmap, owned, ats];
}

/** What a group's PASID state holds for slot `self`, without its slot number: its bond's process, PRI, queued page requests, work in flight. */
export function iopfFootprint(iopf: GroupIopf, self: number): unknown[] {
  const bond = iopf.bonds.find((b) => b.dev === self)?.mm ?? null;
  const prq = iopf.prq.filter((e) => e.dev === self).map((e) => [e.pasid, e.stale]);
  const work = (iopf.work ?? []).filter((w) => w.dev === self).map((w) => [w.pasid, w.mm]);
  return [bond, iopf.pri.includes(self), prq, work];
}
