/**
 * The device's side of ATS (PCIe r6.0 chapter 10), hardware events that are never overridable:
 * a Translation Request the IOMMU answers from its IOTLB or by a walk (the answer fills the
 * device's ATC), and a translated request that uses an ATC entry, or, from an untrusted
 * (possibly malicious) device, any address: a page of memory or a peer's BAR.
 *
 * At the root complex the IOMMU accepts a translated request without a walk only from a device
 * whose ATS the kernel enabled (intel-iommu: context entry Translation Type "device-TLB enabled",
 * set with info->ats_enabled; arm-smmu-v3: STE.EATS; amd: DTE.I); the fabric's route comes from
 * the hardware model (src/machines/atsRoutes.ts), where ACS TB blocks it at a port.
 */
import { DEFAULT_DOMAIN } from '../kernel/domains.ts';
import { atcFill, atcLookup } from './ats.ts';
import { translatedRoute, type TranslatedTarget } from './atsRoutes.ts';
import type { PhysPage } from './pages.ts';
import type { Hop } from '../hardware/index.ts';
import type { Scenario } from './scenario.ts';
import type { SystemState } from './state.ts';
import { dmaAtIommu, livePte, translationOf, withTranslation } from './translation.ts';

/**
 * An ATS Translation Request of `dev` for IOVA page `iova` (the device must have ATS enabled):
 * the IOMMU answers as for an untranslated request (IOTLB hit, or a walk that fills the IOTLB),
 * and a successful Translation Completion fills the device's ATC. A fault leaves the ATC as it was.
 */
export function atsTranslationRequest(s: SystemState, g: number, dev: number, iova: number): SystemState {
  const { outcome, after } = dmaAtIommu(s, g, dev, iova);
  if (!after?.ats) return s;
  // The entry remembers the domain that answered: the RID's (the default domain, or a user domain: src/machines/userMappings.ts).
  const domain = s.devices[dev]?.hw ?? DEFAULT_DOMAIN;
  const t = outcome.kind === 'page' ? { ...after, ats: atcFill(after.ats, dev, iova, domain, { phys: outcome.phys, stale: outcome.stale }) } : after;
  return t === translationOf(s, g) ? s : withTranslation(s, g, t);
}

/** What a translated request names: an ATC entry's IOVA, a forged physical page, or a peer's BAR (bdf). */
export type TranslatedRequest = { readonly iova: number } | { readonly page: number } | { readonly peer: string };

/** Where a translated request ended. */
export type TranslatedOutcome =
  | { readonly kind: 'blocked'; readonly why: string; readonly hops: readonly Hop[] }
  | { readonly kind: 'rejected'; readonly why: string; readonly hops: readonly Hop[] }
  | { readonly kind: 'page'; readonly phys: number; readonly stale: boolean; readonly page: PhysPage; readonly via: 'atc' | 'forged'; readonly hops: readonly Hop[] }
  | { readonly kind: 'peer'; readonly peer: string; readonly hops: readonly Hop[] };

/**
 * A translated request of `dev` in state `s` (it changes no state: the IOMMU does not walk or
 * cache it): routed through the fabric, then at the IOMMU accepted only when dev's ATS is enabled.
 */
export function atsTranslatedRequest(scenario: Scenario, s: SystemState, g: number, dev: number, req: TranslatedRequest): TranslatedOutcome {
  const t = translationOf(s, g);
  const ats = t?.ats;
  const target: TranslatedTarget = 'peer' in req ? { kind: 'peer', peer: req.peer } : { kind: 'memory' };
  const route = translatedRoute(scenario, dev, target, ats?.tbPorts ?? []);
  const hops = route?.hops ?? [];
  const o = route?.outcome;
  if (o?.kind === 'blocked') return { kind: 'blocked', why: `blocked by ACS ${o.bit} at ${o.at}`, hops };
  if (o?.kind === 'unclaimed') return { kind: 'blocked', why: `unclaimed at ${o.at}`, hops };
  if (o?.kind === 'peer') return { kind: 'peer', peer: o.target, hops };
  if (!t || !ats?.enabled.includes(dev)) return { kind: 'rejected', why: 'the IOMMU rejects it: ATS is not enabled for the requester (no device-TLB in its context entry)', hops };
  if ('page' in req) return { kind: 'page', phys: req.page, stale: false, page: t.pages[req.page]!, via: 'forged', hops };
  if ('peer' in req) return { kind: 'rejected', why: 'the peer-bound request went to the IOMMU, which finds no memory there', hops };
  const e = atcLookup(ats, dev, req.iova);
  if (!e) return { kind: 'rejected', why: `no ATC entry for IOVA page ${req.iova}`, hops };
  // As for the IOTLB: a stale entry naming the page the live PTE maps again reaches the right page.
  const pte = livePte(t, e.domain, req.iova);
  const stale = e.stale && !(pte !== null && !pte.stale && pte.phys === e.phys);
  return { kind: 'page', phys: e.phys, stale, page: t.pages[e.phys]!, via: 'atc', hops };
}

/** The route of a translated request in words (one hop per item), for reasons. */
export const hopsText = (hops: readonly Hop[]): string => hops.map((h) => `${h.at} ${h.action}`).join(' -> ');
