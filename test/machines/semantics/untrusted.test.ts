/**
 * Untrusted devices on the translation path (issue 15, step 3): pci_dev->untrusted forces the
 * default domain strict (iommu_get_def_domain_type, iommu.c) and bounces sub-page buffers through
 * swiotlb (dev_use_swiotlb, dma-iommu.c). Built-ins dma-api-untrusted-lazy and -subpage.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/engine/explore.ts';
import { buildModel } from '../../../src/machines/model.ts';
import { translationOf } from '../../../src/machines/translation.ts';
import { currentVariant } from '../../../src/machines/variants/index.ts';
import { findScenario } from '../../../src/scenarios/builtin.ts';
import { expectErrno, model, run } from '../../helpers/model.ts';
import { defaultDomainIgnoresUntrusted, mapWithoutBounce } from '../../helpers/translationVariants.ts';

const e1000e = { type: 'really_probe', dev: 0, driver: 'e1000e' } as const;
const map = { type: 'dma_map_page', dev: 0 } as const;
const dma = (iova: number) => ({ type: 'dma_untranslated', dev: 0, iova }) as const;
const unmap = { type: 'dma_unmap_page', dev: 0, iova: 0 } as const;
const sync = { type: 'iommu_iotlb_sync', dev: 0 } as const;
const devTlb = { type: 'iommu_flush_dev_iotlb', dev: 0 } as const;

/** The kernel calls of a counterexample, without the driver binding before the first map. */
const dmaSteps = (v: { steps: readonly { event: { type: string } }[] }) => v.steps.map((x) => x.event.type).filter((t) => t !== 'really_probe');

describe('iommu_setup_default_domain: an untrusted device is never on DMA-FQ', () => {
  it('under iommu.strict=0 a trusted NIC gets DMA-FQ, an untrusted one a strict DMA default domain', () => {
    expect(translationOf(model('dma-api-unmap-lazy').init, 0)!.pagetable.type).toBe('DMA-FQ');
    expect(translationOf(model('dma-api-untrusted-lazy').init, 0)!.pagetable.type).toBe('DMA');
  });

  it('so its dma_unmap_page waits for iommu_iotlb_sync, and the whole scenario holds', () => {
    const m = model('dma-api-untrusted-lazy');
    const s = run(m, [e1000e, map, dma(0), unmap]);
    expect(translationOf(s, 0)!.pagetable).toMatchObject({ fq: [], unmap: { dev: 0, iova: 0, phase: 'pte_cleared' } });
    expect(explore(m).status).toBe('holds');
  });

  it('a default domain that ignores untrusted breaks STALE-UNTRUSTED at the queued unmap, and STALE through the stale IOTLB entry', () => {
    const r = explore(buildModel(findScenario('dma-api-untrusted-lazy')!, defaultDomainIgnoresUntrusted));
    const byId = new Map(r.violations.map((v) => [v.invariant, v]));
    expect(dmaSteps(byId.get('STALE-UNTRUSTED')!)).toEqual(['dma_map_page', 'dma_unmap_page']);
    expect(byId.get('STALE-UNTRUSTED')!.reason).toMatch(/^untrusted 03:00\.0's dma_unmap_page left IOVA page 0 on the flush queue of the DMA-FQ default domain/);
    expect(dmaSteps(byId.get('STALE')!)).toEqual(['dma_map_page', 'dma_untranslated', 'dma_unmap_page', 'page_reuse', 'dma_untranslated']);
  });
});

describe('iommu_dma_map_page: an untrusted device\'s sub-page buffer is bounced (dev_use_swiotlb)', () => {
  const m = model('dma-api-untrusted-subpage');

  it('the bounce slot is mapped, not the page the buffer shares with other kernel data; unmap releases both', () => {
    const s = run(m, [e1000e, map]);
    const t = translationOf(s, 0)!;
    // Pages renumbered canonically (src/machines/pageSymmetry.ts): the mapped bounce slot first, the buffer's page next.
    expect(t.pages).toEqual([
      { state: 'bounce', dev: 0 },
      { state: 'kmalloc', dev: 0 },
    ]);
    expect(t.pagetable.ptes).toEqual([{ phys: 0, stale: false }]);
    expect(t.handles).toEqual([{ dev: 0, iova: 0, phys: 0, buffer: 1 }]);
    const done = translationOf(run(m, [dma(0), unmap, sync, devTlb], s), 0)!;
    expect(done.pages).toEqual([{ state: 'free' }, { state: 'free' }]);
    expect(done.handles).toEqual([]);
  });

  it('no free bounce slot: swiotlb_tbl_map_single fails and dma_map_page returns DMA_MAPPING_ERROR (-ENOMEM)', () => {
    const two = buildModel({ ...findScenario('dma-api-untrusted-subpage')!, iovaPages: 2 }, currentVariant);
    const s = run(two, [e1000e, map]);
    const r = expectErrno('ENOMEM', two, s, map);
    expect(r.ok ? '' : r.reason).toMatch(/^swiotlb_tbl_map_single: no free bounce slot/);
  });

  it('the whole scenario holds: the NIC never reaches the other kernel data (SUBPAGE)', () => {
    expect(explore(m).status).toBe('holds');
  });

  it('mapping the buffer in place (before the bounce series) breaks SUBPAGE: map, dma', () => {
    const v = explore(buildModel(findScenario('dma-api-untrusted-subpage')!, mapWithoutBounce)).violations.find((x) => x.invariant === 'SUBPAGE')!;
    expect(dmaSteps(v)).toEqual(['dma_map_page', 'dma_untranslated']);
    expect(v.reason).toBe(
      "untrusted 03:00.0's DMA to IOVA page 0 reaches physical page 0, where a sub-page DMA buffer shares the page with other kernel data: the buffer was mapped without a bounce slot",
    );
  });

  it('a trusted device with sub-page buffers is mapped in place (the kernel trusts it): SUBPAGE is not judged', () => {
    const s = findScenario('dma-api-untrusted-subpage')!;
    const trusted = buildModel({ ...s, devices: s.devices.map((d) => ({ ...d, untrusted: false })) }, currentVariant);
    expect(translationOf(run(trusted, [e1000e, map]), 0)!.pagetable.ptes).toEqual([{ phys: 0, stale: false }]);
    expect(explore(trusted).status).toBe('holds');
  });
});
