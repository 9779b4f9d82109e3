/**
 * The IOTLB invalidation window after an unmap, checked by enumeration (issue 3 section 4, last
 * bullet): every interleaving of map / DMA / unmap / page reuse / flush-queue timeout on one IOVA
 * page, breadth first, over routeMemoryRequest + translate (dmaAccess) and
 * iommuMap / iommuUnmap / iommuFlush / setPageOwner.
 *
 * Mirrors dma-iommu.c: in strict mode __iommu_dma_unmap() syncs the IOTLB before returning, so a
 * DMA to the IOVA afterwards faults; in lazy mode (IOMMU_DOMAIN_DMA_FQ) the invalidation waits in
 * the flush queue, the driver frees the buffer page as soon as dma_unmap_*() returns, and a DMA
 * that hits the stale IOTLB entry reaches the freed (possibly reallocated) page.
 * Pure; no randomness; JSON-plain results.
 */
import type { Topology } from './types.ts';
import type { IommuState } from './translate.ts';
import { PAGE_SIZE, addDomain, createIommuState, iommuFlush, iommuMap, iommuUnmap, setPageOwner, setRidDomain } from './translate.ts';
import { dmaAccess } from './dmaAccess.ts';
import { getDevice, hex } from './pciTree.ts';
import { getBuiltinTopology } from './builtinTopologies.ts';

/** One step: dma_map, a device DMA to the IOVA, dma_unmap, the freed page reused by the kernel, the flush-queue timeout. */
export type IotlbAction = 'map' | 'dma' | 'unmap' | 'reuse' | 'flush';

/** All actions, in the order the enumeration tries them. */
export const IOTLB_ACTIONS: readonly IotlbAction[] = ['map', 'dma', 'unmap', 'reuse', 'flush'];

/** Options: where the DMA comes from, and the page. Defaults: nic-a of the built-in `switch-acs`. */
export interface IotlbWindowOptions {
  readonly topology?: Topology;
  readonly requester?: string;
  readonly iova?: number;
  readonly phys?: number;
}

/** The answer: the shortest sequence where DMA after an unmap reaches the freed page, or null. */
export interface IotlbWindowResult {
  readonly invalidation: 'strict' | 'lazy';
  readonly sequence: readonly IotlbAction[] | null;
  /** One line per step of `sequence` (what happened), empty when none. */
  readonly trace: readonly string[];
  /** Distinct states visited and the bound used. */
  readonly explored: number;
  readonly maxLength: number;
}

interface Ctx {
  readonly topology: Topology;
  readonly requester: string;
  readonly iova: number;
  readonly phys: number;
}

interface Sim {
  readonly iommu: IommuState;
  /** The IOVA is mapped (dma_map done, dma_unmap not yet). */
  readonly mapped: boolean;
  /** The buffer page was handed back (unmapped at least once) and not mapped again. */
  readonly freed: boolean;
  readonly reused: boolean;
}

/** Result of one step: the next state (null if the action is not enabled), a line, and whether the window was hit. */
interface Step {
  readonly next: Sim | null;
  readonly line: string;
  readonly hit: boolean;
}

const DOMAIN = 'dma-domain';
const BUFFER_OWNER = 'dma buffer of the driver';
const REUSED_OWNER = 'kernel (page reallocated after dma_unmap)';

function context(o: IotlbWindowOptions): Ctx {
  const topology = o.topology ?? getBuiltinTopology('switch-acs');
  if (!topology) throw new Error('built-in topology switch-acs is missing');
  const requester = getDevice(topology, o.requester ?? 'nic-a').bdf;
  return { topology, requester, iova: o.iova ?? 0x10000, phys: o.phys ?? 0x7f000000 };
}

function initial(ctx: Ctx, invalidation: 'strict' | 'lazy'): Sim {
  let s = createIommuState(invalidation);
  s = addDomain(s, DOMAIN, 'paging');
  s = setRidDomain(s, ctx.requester, DOMAIN);
  s = setPageOwner(s, ctx.phys, BUFFER_OWNER);
  return { iommu: s, mapped: false, freed: false, reused: false };
}

function step(ctx: Ctx, s: Sim, a: IotlbAction): Step {
  const iova = hex(ctx.iova);
  switch (a) {
    case 'map': {
      if (s.mapped) return { next: null, line: '', hit: false };
      const r = iommuMap(setPageOwner(s.iommu, ctx.phys, BUFFER_OWNER), DOMAIN, ctx.iova, ctx.phys);
      if (!r.ok) return { next: null, line: '', hit: false };
      return { next: { iommu: r.next, mapped: true, freed: false, reused: false }, line: `dma_map: IOVA ${iova} -> page ${hex(ctx.phys)} (${BUFFER_OWNER})`, hit: false };
    }
    case 'unmap': {
      if (!s.mapped) return { next: null, line: '', hit: false };
      const r = iommuUnmap(s.iommu, DOMAIN, ctx.iova);
      if (!r.ok) return { next: null, line: '', hit: false };
      const how = s.iommu.invalidation === 'strict' ? 'IOTLB invalidated before return (strict)' : 'IOTLB invalidation queued on the flush queue (lazy)';
      return { next: { ...s, iommu: r.next, mapped: false, freed: true }, line: `dma_unmap: IOVA ${iova}; ${how}; the driver frees the page`, hit: false };
    }
    case 'reuse': {
      if (!s.freed || s.reused) return { next: null, line: '', hit: false };
      return { next: { ...s, iommu: setPageOwner(s.iommu, ctx.phys, REUSED_OWNER), reused: true }, line: `page ${hex(ctx.phys)} reallocated: now ${REUSED_OWNER}`, hit: false };
    }
    case 'flush': {
      if (s.iommu.flushQueue.length === 0) return { next: null, line: '', hit: false };
      return { next: { ...s, iommu: iommuFlush(s.iommu) }, line: 'flush-queue timeout: queued IOTLB invalidations done', hit: false };
    }
    case 'dma': {
      const d = dmaAccess(ctx.topology, s.iommu, { requester: ctx.requester, address: ctx.iova + 0x10 });
      const route = d.route.hops.map((h) => h.at).join(' -> ');
      const t = d.translation;
      const next = { ...s, iommu: d.state };
      if (!t) return { next, line: `DMA ${ctx.requester} -> ${iova}: ${route}; never reached the IOMMU (${d.route.outcome.kind})`, hit: false };
      if (t.kind === 'fault') return { next, line: `DMA ${ctx.requester} -> ${iova}: ${route}; IOMMU fault (${t.reason})`, hit: false };
      if (t.kind === 'bar') return { next, line: `DMA ${ctx.requester} -> ${iova}: ${route}; lands on ${t.target} BAR${t.bar}`, hit: false };
      const onPage = Math.floor(t.phys / PAGE_SIZE) * PAGE_SIZE === ctx.phys;
      const hit = onPage && s.freed;
      const where = `page ${t.page} (${t.owner ?? 'unowned'}) via ${t.via}${t.stale ? ', stale IOTLB entry' : ''}`;
      return { next, line: `DMA ${ctx.requester} -> ${iova}: ${route}; writes ${where}${hit ? ' -- after dma_unmap: the freed page' : ''}`, hit };
    }
  }
}

const key = (s: Sim) => JSON.stringify(s);

/**
 * Enumerates all action sequences up to `maxLength` breadth first (states deduplicated) and
 * returns the shortest one in which a DMA issued after dma_unmap reaches the unmapped page.
 * Expected: lazy finds map, dma, unmap, dma; strict finds none.
 */
export function findUnmapWindow(invalidation: 'strict' | 'lazy', maxLength = 6, options: IotlbWindowOptions = {}): IotlbWindowResult {
  const ctx = context(options);
  const start = initial(ctx, invalidation);
  const seen = new Set<string>([key(start)]);
  let frontier: { sim: Sim; path: IotlbAction[] }[] = [{ sim: start, path: [] }];
  for (let depth = 0; depth < maxLength && frontier.length; depth++) {
    const next: typeof frontier = [];
    for (const { sim, path } of frontier) {
      for (const a of IOTLB_ACTIONS) {
        const r = step(ctx, sim, a);
        if (!r.next) continue;
        const p = [...path, a];
        if (r.hit) return { invalidation, sequence: p, trace: runIotlbSequence(invalidation, p, options).trace, explored: seen.size, maxLength };
        const k = key(r.next);
        if (seen.has(k)) continue;
        seen.add(k);
        next.push({ sim: r.next, path: p });
      }
    }
    frontier = next;
  }
  return { invalidation, sequence: null, trace: [], explored: seen.size, maxLength };
}

/**
 * Runs one sequence and says what each step did; `hit` is true when some DMA after an unmap
 * reached the page. Actions that are not enabled (e.g. unmap before map) are reported as skipped.
 */
export function runIotlbSequence(invalidation: 'strict' | 'lazy', actions: readonly IotlbAction[], options: IotlbWindowOptions = {}): { trace: string[]; hit: boolean } {
  const ctx = context(options);
  let s = initial(ctx, invalidation);
  const trace: string[] = [];
  let hit = false;
  actions.forEach((a, i) => {
    const r = step(ctx, s, a);
    if (!r.next) {
      trace.push(`${i + 1}. ${a}: not enabled here, skipped`);
      return;
    }
    trace.push(`${i + 1}. ${r.line}`);
    hit ||= r.hit;
    s = r.next;
  });
  return { trace, hit };
}
