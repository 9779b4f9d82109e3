/**
 * The translation path of one IOMMU group (issue 15): its pool of physical pages, the IO page
 * table of its DMA-API default domain, the IOTLB entries of its domains and the DMA handles its
 * kernel drivers hold. Kept in GroupState.translation, present only when the scenario has a DMA
 * actor (DeviceSpec.dma), so scenarios without one carry nothing extra.
 *
 * Why per group, not global (design note section 2 puts pages and IOTLB in the global part): the
 * packed engine's global part has a fixed set of keys (src/engine/packed/codec.ts, recorder.ts,
 * confined.ts, symmetry.ts), and a group-local pool keeps decomposition sound: every new call
 * acts on one group. See docs/kernel-notes.md, "Translation path".
 */
import { DEFAULT_DOMAIN, userOfDomain } from '../kernel/domains.ts';
import { EMPTY_ATS, type AtsState } from './ats.ts';
import { emptyPagetable, type IoPagetable, type Translation } from './ioPagetable.ts';
import { iotlbFill, iotlbLookup, type IotlbEntry } from './iotlb.ts';
import { freePages, type PhysPage } from './pages.ts';
import { iovaPagesOf, userMappingsIn, type Scenario } from './scenario.ts';
import { emptyUserPagetable, userPtesOf, type UserPagetable } from './userMappings.ts';
import { updateGroup, type SystemState } from './state.ts';

/**
 * A DMA address a kernel driver got from dma_map_page and has not unmapped: IOVA page -> the
 * mapped page `phys`, and the driver's buffer page `buffer` (the same page unless bounced).
 */
export interface DmaHandle {
  readonly dev: number;
  readonly iova: number;
  readonly phys: number;
  readonly buffer: number;
}

/** One group's translation state. */
export interface GroupTranslation {
  /** The group's pool of physical pages (iovaPages + 1). */
  readonly pages: readonly PhysPage[];
  /** The IO page table of the group's default domain. */
  readonly pagetable: IoPagetable;
  /** The IOTLB entries of the group's domains, sorted by (domain, iova). */
  readonly iotlb: readonly IotlbEntry[];
  /** The kernel drivers' DMA handles (dma_addr_t they hold), sorted by iova. */
  readonly handles: readonly DmaHandle[];
  /** ATS enables, ATCs and TB ports (src/machines/ats.ts); present only when a DMA actor of the group has `ats: true`. */
  readonly ats?: AtsState;
  /** User mappings (VFIO type1 / iommufd, src/machines/userMappings.ts); present only when a mapping context may take a DMA actor of the group. */
  readonly user?: UserPagetable;
}

/** The translation state a group starts with (null for a group without a DMA actor). */
export function initialTranslation(scenario: Scenario, g: number): GroupTranslation | null {
  if (!scenario.devices.some((d) => d.dma === true && (d.group ?? 0) === g)) return null;
  const P = iovaPagesOf(scenario);
  const ats = scenario.devices.some((d) => d.dma === true && d.ats === true && (d.group ?? 0) === g);
  const user = userMappingsIn(scenario, g);
  return { pages: freePages(P + 1), pagetable: emptyPagetable(P, scenario.invalidation === 'lazy' ? 'DMA-FQ' : 'DMA'), iotlb: [], handles: [], ...(ats ? { ats: EMPTY_ATS } : {}), ...(user ? { user: emptyUserPagetable(P) } : {}) };
}

/** Group g's translation state, or null (no DMA actor in the group, or none in the scenario). */
export const translationOf = (s: SystemState, g: number): GroupTranslation | null => s.groups[g]?.translation ?? null;

/** `s` with group g's translation state replaced. */
export const withTranslation = (s: SystemState, g: number, t: GroupTranslation): SystemState => updateGroup(s, g, { translation: t });

/**
 * `t` with page `phys` given a new owner (an allocation from the allocator): every translation
 * still naming it (PTEs, IOTLB) becomes stale, as the page's generation moves on.
 */
export function allocatePage(t: GroupTranslation, phys: number, page: PhysPage): GroupTranslation {
  const pages = t.pages.slice();
  pages[phys] = page;
  const staleIf = <T extends Translation>(x: T): T => (x.phys === phys && !x.stale ? { ...x, stale: true } : x);
  const ptes = t.pagetable.ptes.some((p) => p?.phys === phys && !p.stale) ? t.pagetable.ptes.map((p) => (p ? staleIf(p) : p)) : t.pagetable.ptes;
  const iotlb = t.iotlb.some((e) => e.phys === phys && !e.stale) ? t.iotlb.map(staleIf) : t.iotlb;
  const ats = t.ats?.atc.some((e) => e.phys === phys && !e.stale) ? { ...t.ats, atc: t.ats.atc.map(staleIf) } : t.ats;
  const user = t.user?.ptes.some((p) => p?.phys === phys && !p.stale) ? { ...t.user, ptes: t.user.ptes.map((p) => (p ? staleIf(p) : p)) } : t.user;
  return { ...t, pages, pagetable: ptes === t.pagetable.ptes ? t.pagetable : { ...t.pagetable, ptes }, iotlb, ...(ats ? { ats } : {}), ...(user ? { user } : {}) };
}

/** Some PTE, IOTLB or ATC entry still names page `phys` (a page the allocator could hand to someone else under it). */
export const pageNamed = (t: GroupTranslation, phys: number): boolean =>
  t.pagetable.ptes.some((p) => p?.phys === phys) || t.iotlb.some((e) => e.phys === phys) || (t.ats?.atc.some((e) => e.phys === phys) ?? false) || (t.user?.ptes.some((p) => p?.phys === phys) ?? false);

/** The live PTE of (domain, iova): the default domain's page table or a user domain's PTE (userMappings.ts), or null. */
export function livePte(t: GroupTranslation, domain: string, iova: number): Translation | null {
  if (domain === DEFAULT_DOMAIN) return t.pagetable.ptes[iova] ?? null;
  const p = t.user?.ptes[iova] ?? null;
  return p?.domain === domain ? p : null;
}

/** What the IOMMU did with an untranslated DMA request. */
export type DmaOutcome =
  | { readonly kind: 'fault'; readonly why: string }
  | { readonly kind: 'page'; readonly phys: number; readonly via: 'iotlb' | 'walk'; readonly stale: boolean; readonly page: PhysPage };

/**
 * An untranslated memory request of device `dev` to IOVA page `iova` at the IOMMU: the domain
 * of the device's RID (DeviceState.hw); an IOTLB hit is used as is (stale or not), a miss walks
 * the page table and fills the IOTLB. Returns the outcome and the group's translation after it.
 *
 * Simplifications: the request always reaches the IOMMU (the IOVA space never overlaps a BAR:
 * iova_reserve_pci_windows, dma-iommu.c, reserves the host bridge windows); the default domain and
 * the user domains (container:K, hwpt:K.H: src/machines/userMappings.ts) have mappings, any other
 * domain faults.
 */
export function dmaAtIommu(s: SystemState, g: number, dev: number, iova: number): { outcome: DmaOutcome; after: GroupTranslation | null } {
  const t = translationOf(s, g);
  const hw = s.devices[dev]?.hw ?? null;
  if (!t) return { outcome: { kind: 'fault', why: 'the group has no translation state' }, after: t };
  const ptes = hw === DEFAULT_DOMAIN ? t.pagetable.ptes : hw !== null && t.user && userOfDomain(hw) !== null ? userPtesOf(t.user, hw) : null;
  if (hw === null || !ptes) return { outcome: { kind: 'fault', why: hw === null ? 'the RID is not attached' : `the RID is on ${hw}, which maps nothing here` }, after: t };
  const hit = iotlbLookup(t.iotlb, hw, iova);
  const pte = ptes[iova] ?? null;
  if (hit) {
    // A stale entry that names the page the live PTE maps again (the buffer re-mapped at the same IOVA) reaches the right page.
    const stale = hit.stale && !(pte !== null && !pte.stale && pte.phys === hit.phys);
    return { outcome: { kind: 'page', phys: hit.phys, via: 'iotlb', stale, page: t.pages[hit.phys]! }, after: t };
  }
  if (!pte) return { outcome: { kind: 'fault', why: `IOVA page ${iova} is not mapped in ${hw === DEFAULT_DOMAIN ? 'the default domain' : hw} (IOMMU fault)` }, after: t };
  const after = { ...t, iotlb: iotlbFill(t.iotlb, hw, iova, pte) };
  return { outcome: { kind: 'page', phys: pte.phys, via: 'walk', stale: pte.stale, page: t.pages[pte.phys]! }, after };
}
