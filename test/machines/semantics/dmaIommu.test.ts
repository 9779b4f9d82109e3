/**
 * The translation path of drivers/iommu/dma-iommu.c in the interleavings (issue 15, step 2), on the
 * built-in NIC below an ACS switch port: dma_map_page, the NIC's DMA, dma_unmap_page split into
 * PTE clear / iommu_iotlb_sync / device-TLB flush, the flush queue of iommu.strict=0, page reuse.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/engine/explore.ts';
import type { IommuEvent } from '../../../src/machines/events.ts';
import { buildModel } from '../../../src/machines/model.ts';
import { translationOf } from '../../../src/machines/translation.ts';
import { findScenario } from '../../../src/scenarios/builtin.ts';
import { expectOverridable } from '../../helpers/overridable.ts';
import { expectErrno, expectOk, model, run } from '../../helpers/model.ts';
import { unmapWithoutSync } from '../../helpers/translationVariants.ts';

const e1000e = { type: 'really_probe', dev: 0, driver: 'e1000e' } as const;
const map = { type: 'dma_map_page', dev: 0 } as const;
const dma = { type: 'dma_untranslated', dev: 0, iova: 0 } as const;
const unmap = { type: 'dma_unmap_page', dev: 0, iova: 0 } as const;
const sync = { type: 'iommu_iotlb_sync', dev: 0 } as const;
const devTlb = { type: 'iommu_flush_dev_iotlb', dev: 0 } as const;
const reuse = { type: 'page_reuse', group: 0, page: 0 } as const;
const timeout = { type: 'fq_flush_timeout', group: 0 } as const;

/** The kernel calls of a counterexample, by type, without the ownership calls before the first map. */
const dmaSteps = (events: readonly IommuEvent[]) => events.map((e) => e.type).filter((t) => t !== 'really_probe');

describe('dma_map_page / the device DMA (iommu_dma_map_page, dma-iommu.c)', () => {
  const m = model('dma-api-unmap-strict');

  it('the driver maps its buffer at the lowest free IOVA; the first DMA walks the page table and fills the IOTLB', () => {
    const s = run(m, [e1000e, map]);
    const t = translationOf(s, 0)!;
    expect(t.pages[0]).toEqual({ state: 'kernel', dev: 0 });
    expect(t.pagetable.ptes).toEqual([{ phys: 0, stale: false }]);
    expect(t.handles).toEqual([{ dev: 0, iova: 0, phys: 0, buffer: 0 }]);
    expect(translationOf(expectOk(m, s, dma), 0)!.iotlb).toEqual([{ domain: 'default', iova: 0, phys: 0, stale: false }]);
  });

  it('no free IOVA: iommu_dma_alloc_iova fails and dma_map_page returns DMA_MAPPING_ERROR (-ENOMEM)', () => {
    expectErrno('ENOMEM', m, run(m, [e1000e, map]), map);
  });

  it('an unmapped IOVA faults at the IOMMU: the IOTLB stays empty', () => {
    const s = run(m, [e1000e]);
    expect(expectOk(m, s, dma)).toBe(s);
  });

  it('the driver cannot unbind while it holds a DMA handle (remove() unmaps first)', () => {
    const s = run(m, [e1000e, map]);
    expect(m.events(s).map((e) => e.type)).not.toContain('device_release_driver');
  });
});

describe('dma_unmap_page, strict (iommu.strict=1): PTE cleared, iommu_iotlb_sync, device-TLB flush, then return', () => {
  const m = model('dma-api-unmap-strict');

  it('each step of the same driver thread, then the driver frees the page', () => {
    const cleared = run(m, [e1000e, map, dma, unmap]);
    expect(translationOf(cleared, 0)!.pagetable).toMatchObject({ ptes: [null], unmap: { dev: 0, iova: 0, phase: 'pte_cleared' } });
    expect(translationOf(cleared, 0)!.iotlb).toHaveLength(1);
    expect(m.events(cleared)).toContainEqual(sync);
    const synced = expectOk(m, cleared, sync);
    expect(translationOf(synced, 0)!.iotlb).toEqual([]);
    expect(translationOf(synced, 0)!.pages[0]).toEqual({ state: 'kernel', dev: 0 });
    const done = translationOf(expectOk(m, synced, devTlb), 0)!;
    expect(done.pages[0]).toEqual({ state: 'free' });
    expect(done.handles).toEqual([]);
    expect(done.pagetable.unmap).toBeNull();
  });

  it('the whole strict scenario holds: no DMA reaches a reused page (STALE), nothing else breaks', () => {
    const r = explore(m);
    expect(r.status).toBe('holds');
    expect(r.violations).toEqual([]);
  });

  it('a page no translation names is never offered for reuse', () => {
    const s = run(m, [e1000e, map, dma, unmap, sync, devTlb]);
    expect(m.events(s).map((e) => e.type)).not.toContain('page_reuse');
  });
});

describe('dma_unmap_page, lazy (iommu.strict=0, DMA-FQ): queue_iova, fq_flush_timeout', () => {
  const m = model('dma-api-unmap-lazy');

  it('the IOVA waits in the flush queue while the driver already freed the page; fq_flush_timeout flushes the IOTLB and frees the IOVA', () => {
    const s = run(m, [e1000e, map, dma, unmap]);
    const t = translationOf(s, 0)!;
    expect(t.pagetable).toMatchObject({ type: 'DMA-FQ', ptes: [null], fq: [0], unmap: null });
    expect(t.pages[0]).toEqual({ state: 'free' });
    expect(t.iotlb).toHaveLength(1);
    expectErrno('ENOMEM', m, s, map);
    const flushed = translationOf(expectOk(m, s, timeout), 0)!;
    expect(flushed.iotlb).toEqual([]);
    expect(flushed.pagetable.fq).toEqual([]);
  });

  it('finds map, dma, unmap, reuse, dma: the accepted lazy trade-off, through the stale IOTLB entry', () => {
    const r = explore(m);
    const v = r.violations.find((x) => x.invariant === 'STALE')!;
    expect(dmaSteps(v.steps.map((x) => x.event))).toEqual(['dma_map_page', 'dma_untranslated', 'dma_unmap_page', 'page_reuse', 'dma_untranslated']);
    expect(v.reason).toMatch(/03:00\.0's DMA to IOVA page 0 reaches physical page 0, now reused by another owner, through a stale IOTLB entry \(its invalidation still waits in the flush queue/);
  });

  it('after fq_flush_timeout the DMA faults: the window closes', () => {
    const s = run(m, [e1000e, map, dma, unmap, timeout]);
    expect(m.events(s)).not.toContainEqual(reuse);
    expect(expectOk(m, s, dma)).toBe(s);
  });
});

describe('__iommu_dma_unmap without iommu_iotlb_sync (variant)', () => {
  it('breaks STALE on the strict scenario: map, dma, unmap, reuse, dma', () => {
    const r = explore(buildModel(findScenario('dma-api-unmap-strict')!, unmapWithoutSync));
    const v = r.violations.find((x) => x.invariant === 'STALE');
    expect(v, 'no STALE counterexample').toBeDefined();
    expect(dmaSteps(v!.steps.map((x) => x.event))).toEqual(['dma_map_page', 'dma_untranslated', 'dma_unmap_page', 'page_reuse', 'dma_untranslated']);
    expect(v!.reason).toMatch(/through a stale IOTLB entry: the page was freed after dma_unmap_page and allocated again$/);
  });
});

describe('every new call of the rule table can be overridden by a variant', () => {
  const calls = ['iommu_setup_default_domain', 'iommu_dma_map_page', 'iommu_dma_unmap_page', '__iommu_dma_unmap', 'iommu_iotlb_sync', 'iommu_flush_dev_iotlb', 'fq_flush_timeout'] as const;

  it.each(calls)('%s: a variant file may override it, and an override that records a WARN_ON is reached and changes the verdict', (name) => {
    const scenario = findScenario(name === 'fq_flush_timeout' ? 'dma-api-unmap-lazy' : 'dma-api-unmap-strict')!;
    expectOverridable(name, scenario);
  });
});
