/**
 * UNMAP (UnmapWindowClosed): after dma_unmap a device bound to a DMA-API driver cannot reach the
 * freed page. Mirrors __iommu_dma_unmap (drivers/iommu/dma-iommu.c): iommu.strict=1 syncs the
 * IOTLB before returning; iommu.strict=0 (DMA-FQ) queues the invalidation on the flush queue.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/explore.ts';
import { unmapWindowClosed } from '../../src/invariants/unmapWindowClosed.ts';
import { findScenario } from '../../src/scenarios/builtin.ts';
import { buildModel } from '../../src/machines/model.ts';
import { currentVariant } from '../../src/machines/variants/index.ts';
import { expectOk, model } from '../helpers/model.ts';

/** The built-in with its DMA actors taken out: DMA only in the hardware model's side enumeration, which UNMAP judges. */
const sideEnumeration = (name: string) => {
  const s = findScenario(name)!;
  return buildModel({ ...s, devices: s.devices.map(({ dma: _dma, ...d }) => d) }, currentVariant);
};

describe('UnmapWindowClosed on a NIC below an ACS switch port (switch-acs)', () => {
  it('the hardware model finds no window with iommu.strict=1 and a four-step one, with the DMA route, with iommu.strict=0', () => {
    expect(findScenario('dma-api-unmap-strict')!.unmapWindow).toEqual([null]);
    const lazy = findScenario('dma-api-unmap-lazy')!.unmapWindow![0]!;
    expect(lazy).toHaveLength(4);
    expect(lazy[2]).toMatch(/^3\. dma_unmap: .*IOTLB invalidation queued on the flush queue \(lazy\)/);
    expect(lazy[3]).toBe(
      '4. DMA 03:00.0 -> 0x10000: 03:00.0 -> 02:08.0 -> 01:00.0 -> 00:01.0 -> iommu; writes page 0x7f000000 (dma buffer of the driver) via iotlb, stale IOTLB entry -- after dma_unmap: the freed page',
    );
  });

  it('really_probe(e1000e) in lazy mode: the DMA-API driver on the DMA-FQ default domain breaks UNMAP, naming the stale-IOTLB route', () => {
    const m = sideEnumeration('dma-api-unmap-lazy');
    expect(unmapWindowClosed.check!(m.init, m.scenario)).toBeNull();
    const bound = expectOk(m, m.init, { type: 'really_probe', dev: 0, driver: 'e1000e' });
    expect(unmapWindowClosed.check!(bound, m.scenario)).toMatch(/^03:00\.0 \(e1000e, DMA API on the lazy default domain\) can write a page after dma_unmap freed it: 1\. dma_map/);
  });

  it('really_probe(e1000e) in strict mode holds; the whole strict scenario holds under the current kernel', () => {
    const m = model('dma-api-unmap-strict');
    const bound = expectOk(m, m.init, { type: 'really_probe', dev: 0, driver: 'e1000e' });
    expect(unmapWindowClosed.check!(bound, m.scenario)).toBeNull();
    expect(explore(m).violations).toEqual([]);
  });

  it('lazy mode with the group handed to a VFIO user (vfio-pci bound, off the default domain) is not a window: no kernel driver unmaps there', () => {
    const m = sideEnumeration('dma-api-unmap-lazy');
    const vfio = expectOk(m, m.init, { type: 'really_probe', dev: 0, driver: 'vfio-pci' });
    expect(unmapWindowClosed.check!(vfio, m.scenario)).toBeNull();
  });
});

describe('UNMAP on the built-ins with DMA in the interleavings', () => {
  it('is not judged there (STALE is), and never fires', () => {
    const m = model('dma-api-unmap-lazy');
    expect(unmapWindowClosed.notJudged!(m.scenario)).toMatch(/STALE judges the unmap window/);
    const bound = expectOk(m, m.init, { type: 'really_probe', dev: 0, driver: 'e1000e' });
    expect(unmapWindowClosed.check!(bound, m.scenario)).toBeNull();
  });
});
