/**
 * The IOTLB lazy-invalidation window at hardware level (src/hardware/iotlbWindow.ts): DMA after
 * dma_unmap reaches the freed page in lazy (flush-queue) mode and never in strict mode. Kept under
 * test/scenarios because it feeds the hardware-backed lazy-invalidation scenario of issue 3.
 */
import { describe, expect, it } from 'vitest';
import { getBuiltinTopology } from '../../src/hardware/index.ts';
import { findUnmapWindow, runIotlbSequence } from '../../src/hardware/iotlbWindow.ts';

describe('IOTLB invalidation window after dma_unmap', () => {
  it('lazy: the shortest counterexample is map, dma, unmap, dma; the last DMA goes through the fabric to the IOMMU and hits the stale IOTLB entry', () => {
    const r = findUnmapWindow('lazy');
    expect(r.sequence).toEqual(['map', 'dma', 'unmap', 'dma']);
    expect(r.trace).toHaveLength(4);
    expect(r.trace[2]).toMatch(/IOTLB invalidation queued on the flush queue \(lazy\)/);
    expect(r.trace[3]).toBe(
      '4. DMA 03:00.0 -> 0x10000: 03:00.0 -> 02:08.0 -> 01:00.0 -> 00:01.0 -> iommu; writes page 0x7f000000 (dma buffer of the driver) via iotlb, stale IOTLB entry -- after dma_unmap: the freed page',
    );
  });

  it('strict: no sequence of up to 8 steps lets a DMA after dma_unmap reach the page', () => {
    const r = findUnmapWindow('strict', 8);
    expect(r.sequence).toBeNull();
    expect(r.explored).toBeGreaterThan(1);
  });

  it('lazy: the window is the IOTLB entry, not the page table (no prior DMA, no hit) and it closes at the flush-queue timeout', () => {
    expect(runIotlbSequence('lazy', ['map', 'unmap', 'dma']).hit).toBe(false);
    const r = runIotlbSequence('lazy', ['map', 'dma', 'unmap', 'reuse', 'dma', 'flush', 'dma']);
    expect(r.hit).toBe(true);
    expect(r.trace[4]).toMatch(/writes page 0x7f000000 \(kernel \(page reallocated after dma_unmap\)\) via iotlb, stale IOTLB entry/);
    expect(r.trace[6]).toMatch(/IOMMU fault \(IOVA 0x10000 not mapped in dma-domain\)/);
  });

  it('strict: the same sequence faults right after the unmap', () => {
    const r = runIotlbSequence('strict', ['map', 'dma', 'unmap', 'reuse', 'dma']);
    expect(r.hit).toBe(false);
    expect(r.trace[4]).toMatch(/IOMMU fault/);
  });

  it('disabled actions are reported as skipped', () => {
    expect(runIotlbSequence('lazy', ['unmap', 'flush']).trace).toEqual(['1. unmap: not enabled here, skipped', '2. flush: not enabled here, skipped']);
  });

  it('a requester whose DMA never reaches the IOMMU cannot hit the window: peer-to-peer under a non-ACS switch lands on the peer BAR instead', () => {
    const t = getBuiltinTopology('switch-no-acs')!;
    // IOVA equal to nic-b's BAR: routed peer-to-peer, never translated.
    const r = runIotlbSequence('lazy', ['map', 'dma', 'unmap', 'dma'], { topology: t, requester: 'nic-a', iova: 0xa0200000 });
    expect(r.hit).toBe(false);
    expect(r.trace[3]).toMatch(/never reached the IOMMU \(peer\)/);
  });
});
