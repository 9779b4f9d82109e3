/**
 * The DMA access a device's step made, for traces: which device, which IOVA page, what the IOMMU
 * served it from and which physical page it reached, stale or not, and the route the request
 * took through the fabric to the IOMMU (from the hardware model, when the scenario has a
 * topology):
 *
 *   03:00.0 DMA to iova 0 -> IOMMU, domain default: IOTLB hit -> page 0 (reused by another owner): STALE
 *   route: 03:00.0 -> 02:01.0 (DSP, ACS UF: forwarded upstream) -> ... -> IOMMU (requester 03:00.0)
 *
 * Each hardware event that reaches memory has its describer in DESCRIBERS; an event without one
 * (a kernel call) has no access.
 */
import { atsTranslatedRequest } from '../machines/atsActors.ts';
import type { IommuEvent } from '../machines/events.ts';
import { pageText } from '../machines/pages.ts';
import type { Scenario } from '../machines/scenario.ts';
import { groupOf, type SystemState } from '../machines/state.ts';
import { dmaAtIommu } from '../machines/translation.ts';
import { getDevice, routeMemoryRequest, type Hop } from '../hardware/index.ts';
import { builtinScenarioTopology } from '../scenarios/fromTopology.ts';
import { describeHops, describeIommuRoute } from './dmaRoute.ts';

/** One DMA access, as data (ITF, HTML) and as text. */
export interface DmaAccess {
  /** The device's name in the scenario. */
  device: string;
  /** The IOVA page (-1 for a translated request that names no IOVA: a forged address, a peer). */
  iova: number;
  /** Where the translation came from (`iotlb`, `walk`, `atc`, `forged`), or what stopped it (`fault`, `blocked`, `rejected`, `peer`). */
  via: string;
  /** The physical page reached, or null on a fault. */
  page: number | null;
  /** The page's owner now, in words (`reused by another owner`), or the fault's reason. */
  owner: string;
  /** The translation is older than the page's current owner: the access is a use after free. */
  stale: boolean;
  /** One line: device, IOVA, how the IOMMU served it, the page and its owner, STALE when stale. */
  text: string;
  /** The request's route to the IOMMU through the fabric, or null without a topology. */
  route: string | null;
  /** The same route hop by hop (the HTML report draws it), empty without a topology. */
  hops: readonly Hop[];
}

type Describer = (before: SystemState, e: IommuEvent, scenario: Scenario) => DmaAccess | null;

/** A system-memory address no BAR claims: where an untranslated DMA goes (as dmaRoute.ts). */
const SYSTEM_MEMORY = 0x1000;

/** `dev 0` in a page's owner written with the scenario's device name. */
const named = (text: string, scenario: Scenario): string => text.replace(/\bdev (\d+)\b/g, (m, d) => scenario.devices[Number(d)]?.name ?? m);

/** The route of a request of device slot `dev` to system memory, by the hardware model: text and hops (null and none without a topology). */
function routeOf(scenario: Scenario, dev: number): { route: string | null; hops: readonly Hop[] } {
  const bt = builtinScenarioTopology(scenario);
  const name = bt?.deviceMap[dev];
  if (!bt || name === undefined) return { route: null, hops: [] };
  try {
    const from = getDevice(bt.topology, name).bdf;
    return { route: describeIommuRoute(bt.topology, name), hops: routeMemoryRequest(bt.topology, { requester: from, address: SYSTEM_MEMORY }).hops };
  } catch {
    return { route: null, hops: [] }; // a device the topology lacks: the trace goes without a route rather than fail
  }
}

/** dma_untranslated: an untranslated memory request at the IOMMU (translation.ts dmaAtIommu). */
const untranslated: Describer = (before, e, scenario) => {
  if (e.type !== 'dma_untranslated') return null;
  const device = scenario.devices[e.dev]?.name ?? `dev ${e.dev}`;
  const { outcome } = dmaAtIommu(before, groupOf(scenario, e.dev), e.dev, e.iova);
  const head = `${device} DMA to iova ${e.iova} -> IOMMU, domain ${before.devices[e.dev]?.hw ?? 'NULL'}`;
  const route = routeOf(scenario, e.dev);
  if (outcome.kind === 'fault') return { device, iova: e.iova, via: 'fault', page: null, owner: outcome.why, stale: false, text: `${head}: fault (${outcome.why})`, ...route };
  const owner = named(pageText(outcome.page), scenario);
  const via = outcome.via === 'iotlb' ? 'IOTLB hit' : 'page walk (IOTLB filled)';
  const text = `${head}: ${via} -> page ${outcome.phys} (${owner})${outcome.stale ? ': STALE, the translation is older than the page\'s owner' : ''}`;
  return { device, iova: e.iova, via: outcome.via, page: outcome.phys, owner, stale: outcome.stale, text, ...route };
};

/**
 * ats_translated_request: a translated request (ATS), from an ATC entry or, from an untrusted
 * device, a forged address; routed through the fabric, where ACS TB may block it (atsActors.ts).
 */
const translated: Describer = (before, e, scenario) => {
  if (e.type !== 'ats_translated_request') return null;
  const device = scenario.devices[e.dev]?.name ?? `dev ${e.dev}`;
  const o = atsTranslatedRequest(scenario, before, groupOf(scenario, e.dev), e.dev, e);
  const iova = 'iova' in e ? e.iova : -1;
  const to = 'iova' in e ? `iova ${e.iova}` : 'page' in e ? `physical page ${e.page} (forged)` : `${e.peer}'s BAR`;
  const head = `${device} translated request to ${to}`;
  const hw = builtinScenarioTopology(scenario);
  const route = (end: string) => ({ route: hw && o.hops.length ? describeHops(hw.topology, o.hops, end) : null, hops: hw ? o.hops : [] });
  if (o.kind === 'page') {
    const owner = named(pageText(o.page), scenario);
    const via = o.via === 'atc' ? 'ATC hit, accepted without a walk' : 'accepted without a walk';
    const text = `${head} -> IOMMU: ${via} -> page ${o.phys} (${owner})${o.stale ? ': STALE, the translation is older than the page\'s owner' : ''}`;
    return { device, iova, via: o.via, page: o.phys, owner, stale: o.stale, text, ...route('IOMMU (translated)') };
  }
  if (o.kind === 'peer') return { device, iova, via: 'peer', page: null, owner: `${o.peer}'s BAR`, stale: false, text: `${head}: lands on ${o.peer}'s BAR; the IOMMU never sees it`, ...route(`${o.peer} (peer)`) };
  return { device, iova, via: o.kind, page: null, owner: o.why, stale: false, text: `${head}: ${o.why}`, ...route(o.kind === 'blocked' ? o.why : 'IOMMU') };
};

/** The describers of the hardware events that reach memory, by event type. */
const DESCRIBERS: Partial<Record<IommuEvent['type'], Describer>> = { dma_untranslated: untranslated, ats_translated_request: translated };

/** The DMA access event `e` made from state `before`, or null when `e` is not a device's DMA. */
export function dmaAccessOf(before: SystemState, e: IommuEvent, scenario: Scenario): DmaAccess | null {
  return DESCRIBERS[e.type]?.(before, e, scenario) ?? null;
}
