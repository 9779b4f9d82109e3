/**
 * TypeOK's clauses for the translation path (issue 15): each group's pages, default-domain page
 * table, flush queue, IOTLB and the drivers' DMA handles agree with each other, the way the
 * kernel's own structures do (a handle is a live PTE of a buffer page, until its unmap).
 */
import { iovaPagesOf, type Scenario } from '../machines/scenario.ts';
import type { SystemState } from '../machines/state.ts';
import type { GroupTranslation } from '../machines/translation.ts';
import type { AtsState } from '../machines/ats.ts';
import { inGroup } from './facts.ts';
import { userOfDomain } from '../kernel/domains.ts';

function groupTranslationReason(t: GroupTranslation, P: number): string | null {
  const pt = t.pagetable;
  if (t.pages.length !== P + 1 || pt.ptes.length !== P) return `has ${t.pages.length} pages and ${pt.ptes.length} PTEs, expected ${P + 1} and ${P}`;
  const handled = new Set<number>();
  for (const h of t.handles) {
    if (handled.has(h.iova)) return `has two DMA handles for IOVA page ${h.iova}`;
    handled.add(h.iova);
    const buffer = t.pages[h.buffer];
    if ((buffer?.state !== 'kernel' && buffer?.state !== 'kmalloc') || buffer.dev !== h.dev) return `has a DMA handle of dev ${h.dev} for page ${h.buffer}, which is not that driver's buffer`;
    const bounce = t.pages[h.phys];
    if (h.phys !== h.buffer && (bounce?.state !== 'bounce' || bounce.dev !== h.dev)) return `has a DMA handle of dev ${h.dev} mapping page ${h.phys}, which is not its bounce slot`;
    const pte = pt.ptes[h.iova];
    const unmapping = pt.unmap?.dev === h.dev && pt.unmap.iova === h.iova;
    if (unmapping ? pte !== null : pte?.phys !== h.phys || pte.stale) return `has a DMA handle for IOVA page ${h.iova} that its PTE does not map`;
  }
  for (let phys = 0; phys < t.pages.length; phys++) {
    const p = t.pages[phys]!;
    if ((p.state === 'kernel' || p.state === 'kmalloc') && !t.handles.some((h) => h.buffer === phys)) return `has page ${phys} allocated as a DMA buffer without a DMA handle`;
    if (p.state === 'bounce' && !t.handles.some((h) => h.phys === phys && h.buffer !== phys)) return `has bounce slot ${phys} without a DMA handle`;
  }
  if (pt.unmap && !handled.has(pt.unmap.iova)) return `unmaps IOVA page ${pt.unmap.iova}, which no driver holds`;
  if (pt.fq.length > 0 && pt.type !== 'DMA-FQ') return 'has a flush queue on a strict (DMA) default domain';
  if (pt.fq.some((iova) => pt.ptes[iova] !== null || handled.has(iova))) return 'holds a mapped IOVA page in its flush queue';
  if (t.iotlb.some((e) => e.iova < 0 || e.iova >= P || e.phys < 0 || e.phys > P)) return 'has an IOTLB entry outside its IOVA space or pool';
  return (t.ats ? atsReason(t.ats, P) : null) ?? (t.user ? userReason(t, P) : null);
}

/**
 * The user-mapping clauses (issue 15, step 5): a user PTE maps a page pinned for its domain's
 * context, and a pinned page is mapped by a user PTE or by the unmap in progress until it is unpinned.
 */
function userReason(t: GroupTranslation, P: number): string | null {
  const user = t.user!;
  if (user.ptes.length !== P) return `has ${user.ptes.length} user PTEs, expected ${P}`;
  const holds = (phys: number): number | null => {
    const pte = user.ptes.find((p) => p?.phys === phys);
    if (pte) return userOfDomain(pte.domain);
    return user.unmap?.phys === phys && user.unmap.phase !== 'unpinned' ? userOfDomain(user.unmap.domain) : null;
  };
  for (const [iova, p] of user.ptes.entries()) {
    const page = p ? t.pages[p.phys] : undefined;
    if (p && (page?.state !== 'pinned' || page.ctx !== userOfDomain(p.domain))) return `has a user PTE at IOVA page ${iova} in ${p.domain} for page ${p.phys}, which is not pinned for that context`;
  }
  for (const [phys, p] of t.pages.entries()) if (p.state === 'pinned' && holds(phys) !== p.ctx) return `has page ${phys} pinned for context ${p.ctx} that no user mapping of it holds`;
  return null;
}

/** The ATS clauses: an ATC caches only while its device has ATS enabled (pci_disable_ats drops it), within the IOVA space and pool, once per (dev, iova). */
function atsReason(ats: AtsState, P: number): string | null {
  const seen = new Set<string>();
  for (const e of ats.atc) {
    if (!ats.enabled.includes(e.dev)) return `has an ATC entry of dev ${e.dev}, whose ATS is not enabled`;
    if (e.iova < 0 || e.iova >= P || e.phys < 0 || e.phys > P) return `has an ATC entry of dev ${e.dev} outside its IOVA space or pool`;
    if (seen.has(`${e.dev}:${e.iova}`)) return `has two ATC entries of dev ${e.dev} for IOVA page ${e.iova}`;
    seen.add(`${e.dev}:${e.iova}`);
  }
  return null;
}

/** Why the groups' translation state is malformed, or null (nothing to check without a DMA actor). */
export function translationReason(s: SystemState, scenario: Scenario): string | null {
  const P = iovaPagesOf(scenario);
  for (let g = 0; g < s.groups.length; g++) {
    const t = s.groups[g]!.translation ?? null;
    const actor = scenario.devices.some((d) => d.dma === true && (d.group ?? 0) === g);
    if (actor !== (t !== null)) return `the translation state${inGroup(scenario, g)} is ${t ? 'present without' : 'missing for'} a DMA actor`;
    const reason = t ? groupTranslationReason(t, P) : null;
    if (reason) return `the default domain${inGroup(scenario, g)} ${reason}`;
  }
  return null;
}
