/**
 * The IOMMU translation path as plain data: requester ID (after aliasing) to the
 * domain of its context entry, PASID to the PASID-attached domain, blocking /
 * identity / paging domains, an IOTLB with strict or deferred (lazy) invalidation,
 * and ATS-translated requests that skip translation.
 *
 * Mirrors the behaviour behind iommu_map()/iommu_unmap() + iommu_iotlb_sync()
 * (drivers/iommu/iommu.c) and the strict vs flush-queue (IOMMU_DOMAIN_DMA_FQ)
 * unmap paths of drivers/iommu/dma-iommu.c. Simplifications: 4 KiB pages only, one
 * IOTLB shared by all IOMMUs, no device-TLB (ATC) contents, no permissions bits.
 */
import type { KernelResult } from '../kernel/errno.ts';
import { err, ok } from '../kernel/errno.ts';
import type { Topology } from './types.ts';
import { hex, inRange } from './pciTree.ts';

/** Page size of every mapping. */
export const PAGE_SIZE = 0x1000;

/** IOMMU_DOMAIN_BLOCKED, IOMMU_DOMAIN_IDENTITY, or a paging domain (DMA/UNMANAGED/SVA). */
export type DomainType = 'blocking' | 'identity' | 'paging';

/** One domain: its type and its IO page table (IOVA page → physical page, as hex keys/values). */
export interface IommuDomain {
  readonly type: DomainType;
  readonly mappings: Readonly<Record<string, string>>;
}

/** A cached translation. */
export interface IotlbEntry {
  readonly domain: string;
  readonly iovaPage: string;
  readonly physPage: string;
}

/** Everything the translation path reads; JSON-plain. */
export interface IommuState {
  /** Strict: unmap flushes the IOTLB before returning. Lazy: flushes are queued. */
  readonly invalidation: 'strict' | 'lazy';
  readonly domains: Readonly<Record<string, IommuDomain>>;
  /** Context entries: requester ID (`bb:dd.f`) → domain id. */
  readonly ridDomain: Readonly<Record<string, string>>;
  /** PASID table entries: requester ID → PASID (decimal) → domain id. */
  readonly pasidDomain: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Requester IDs whose context allows ATS-translated requests (pci_enable_ats done). */
  readonly atsEnabled: readonly string[];
  readonly iotlb: readonly IotlbEntry[];
  /** Lazy mode: unmapped IOVAs whose IOTLB invalidation is still queued. */
  readonly flushQueue: readonly IotlbEntry[];
  /** Owner of each physical page (page base in hex → owner label, e.g. "kernel", "vfio:ctx1"). */
  readonly memory: Readonly<Record<string, string>>;
}

/** A request as the IOMMU sees it (the `iommu` outcome of routeMemoryRequest). */
export interface IommuRequest {
  readonly rid: string;
  readonly address: number;
  readonly pasid?: number | null;
  readonly translated?: boolean;
}

/** How the physical address was obtained. */
export type TranslationSource = 'iotlb' | 'page-table' | 'identity' | 'ats';

/** The result of translation: a memory page and its owner, a device BAR, or a fault. */
export type Translation =
  | { readonly kind: 'memory'; readonly phys: number; readonly page: string; readonly owner: string | null; readonly via: TranslationSource; readonly stale: boolean; readonly domain: string | null }
  | { readonly kind: 'bar'; readonly phys: number; readonly target: string; readonly bar: number; readonly via: TranslationSource; readonly stale: boolean; readonly domain: string | null }
  | { readonly kind: 'fault'; readonly reason: string; readonly domain: string | null };

const pageOf = (addr: number): string => hex(Math.floor(addr / PAGE_SIZE) * PAGE_SIZE);

/** An IOMMU with no domains and no context entries. */
export function createIommuState(invalidation: 'strict' | 'lazy' = 'strict'): IommuState {
  return { invalidation, domains: {}, ridDomain: {}, pasidDomain: {}, atsEnabled: [], iotlb: [], flushQueue: [], memory: {} };
}

/** Adds (or replaces) a domain. */
export function addDomain(state: IommuState, id: string, type: DomainType): IommuState {
  return { ...state, domains: { ...state.domains, [id]: { type, mappings: {} } } };
}

/** Points a requester ID's context entry at a domain (or clears it with null). */
export function setRidDomain(state: IommuState, rid: string, domain: string | null): IommuState {
  const ridDomain = { ...state.ridDomain };
  if (domain === null) delete ridDomain[rid];
  else ridDomain[rid] = domain;
  return { ...state, ridDomain };
}

/** Sets the domain of one PASID of a requester ID (null removes the entry). */
export function setPasidDomain(state: IommuState, rid: string, pasid: number, domain: string | null): IommuState {
  const table = { ...(state.pasidDomain[rid] ?? {}) };
  if (domain === null) delete table[String(pasid)];
  else table[String(pasid)] = domain;
  return { ...state, pasidDomain: { ...state.pasidDomain, [rid]: table } };
}

/** Records who owns a physical page. */
export function setPageOwner(state: IommuState, phys: number, owner: string): IommuState {
  return { ...state, memory: { ...state.memory, [pageOf(phys)]: owner } };
}

/** Allows ATS-translated requests from a requester ID (after pci_enable_ats). */
export function enableAts(state: IommuState, rid: string): IommuState {
  return state.atsEnabled.includes(rid) ? state : { ...state, atsEnabled: [...state.atsEnabled, rid].sort() };
}

/** Mirrors iommu_map() for one page: paging domains only. */
export function iommuMap(state: IommuState, domain: string, iova: number, phys: number): KernelResult<IommuState> {
  const d = state.domains[domain];
  if (!d) return err('ENODEV', `no domain ${domain}`);
  if (d.type !== 'paging') return err('EINVAL', `domain ${domain} is ${d.type}, not a paging domain`);
  if (d.mappings[pageOf(iova)] !== undefined) return err('EINVAL', `IOVA ${pageOf(iova)} already mapped (drivers return -EEXIST)`);
  const next: IommuDomain = { ...d, mappings: { ...d.mappings, [pageOf(iova)]: pageOf(phys) } };
  return ok({ ...state, domains: { ...state.domains, [domain]: next } });
}

/**
 * Mirrors iommu_unmap() for one page. Strict: the IOTLB entries are invalidated
 * before returning (iommu_iotlb_sync). Lazy: they are queued on the flush queue and
 * stay usable until iommuFlush() (the dma-iommu flush-queue timer).
 */
export function iommuUnmap(state: IommuState, domain: string, iova: number): KernelResult<IommuState> {
  const d = state.domains[domain];
  if (!d || d.type !== 'paging') return err('EINVAL', `domain ${domain} is not a paging domain`);
  const page = pageOf(iova);
  if (d.mappings[page] === undefined) return err('ENOENT', `IOVA ${page} is not mapped`);
  const mappings = { ...d.mappings };
  delete mappings[page];
  const base = { ...state, domains: { ...state.domains, [domain]: { ...d, mappings } } };
  const hit = (e: IotlbEntry) => e.domain === domain && e.iovaPage === page;
  if (state.invalidation === 'strict') return ok({ ...base, iotlb: state.iotlb.filter((e) => !hit(e)) });
  return ok({ ...base, flushQueue: [...state.flushQueue, ...state.iotlb.filter(hit)] });
}

/** Runs the deferred invalidations (the flush-queue timeout): queued IOTLB entries go away. */
export function iommuFlush(state: IommuState): IommuState {
  const queued = (e: IotlbEntry) => state.flushQueue.some((q) => q.domain === e.domain && q.iovaPage === e.iovaPage);
  return { ...state, iotlb: state.iotlb.filter((e) => !queued(e)), flushQueue: [] };
}

/**
 * Translates one request. ATS-translated requests bypass translation (if the
 * requester may send them); otherwise the PASID entry or the context entry selects
 * the domain; paging domains look in the IOTLB first (a stale hit in lazy mode still
 * translates) and fill it from the page table. With a topology, an output address
 * inside a device BAR is reported as that BAR (peer-to-peer through the IOMMU).
 */
export function translate(state: IommuState, request: IommuRequest, topology?: Topology): { result: Translation; state: IommuState } {
  const land = (phys: number, via: TranslationSource, stale: boolean, domain: string | null): Translation => {
    for (const dev of topology?.devices ?? []) {
      const bar = dev.bars.find((b) => inRange(phys, b));
      if (bar) return { kind: 'bar', phys, target: dev.bdf, bar: bar.index, via, stale, domain };
    }
    const page = pageOf(phys);
    return { kind: 'memory', phys, page, owner: state.memory[page] ?? null, via, stale, domain };
  };
  const fault = (reason: string, domain: string | null = null) => ({ result: { kind: 'fault', reason, domain } as Translation, state });

  if (request.translated) {
    if (!state.atsEnabled.includes(request.rid)) return fault(`translated request from ${request.rid}, which has no ATS enabled`);
    return { result: land(request.address, 'ats', false, null), state };
  }
  let domainId: string | undefined;
  if (request.pasid !== undefined && request.pasid !== null) {
    domainId = state.pasidDomain[request.rid]?.[String(request.pasid)];
    if (!domainId) return fault(`no domain attached to ${request.rid} PASID ${request.pasid}`);
  } else {
    domainId = state.ridDomain[request.rid];
    if (!domainId) return fault(`no context entry for requester ${request.rid}`);
  }
  const domain = state.domains[domainId];
  if (!domain) return fault(`context points at missing domain ${domainId}`, domainId);
  if (domain.type === 'blocking') return fault(`blocking domain ${domainId}`, domainId);
  if (domain.type === 'identity') return { result: land(request.address, 'identity', false, domainId), state };
  const offset = request.address % PAGE_SIZE;
  const iovaPage = pageOf(request.address);
  const cached = state.iotlb.find((e) => e.domain === domainId && e.iovaPage === iovaPage);
  if (cached) {
    const stale = domain.mappings[iovaPage] !== cached.physPage;
    return { result: land(parseInt(cached.physPage, 16) + offset, 'iotlb', stale, domainId), state };
  }
  const physPage = domain.mappings[iovaPage];
  if (physPage === undefined) return fault(`IOVA ${iovaPage} not mapped in ${domainId}`, domainId);
  const next = { ...state, iotlb: [...state.iotlb, { domain: domainId, iovaPage, physPage }] };
  return { result: land(parseInt(physPage, 16) + offset, 'page-table', false, domainId), state: next };
}
