/**
 * P2P (UserP2pContained): the seed thread's pci-stub neighbour is reported as the accepted
 * driver_managed_dma exception (kernel-semantics.md W12), never as an anonymous violation;
 * a DMA-API peer beside a user device (W1's pre-5.19 viability) is an ordinary violation.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/explore.ts';
import { KNOWN_WEAKNESSES, manifestEntry } from '../../src/scenarios/manifest.ts';
import { model } from '../helpers/model.ts';

describe('UserP2pContained', () => {
  it('vfio_group_ioctl_get_device_fd beside a pci-stub group-mate: the reason names the driver_managed_dma exception', () => {
    const v = explore(model('pci-stub-neighbour')).violations.find((x) => x.invariant === 'P2P')!;
    expect(v.reason).toBe("accepted exception driver_managed_dma (pci-stub): 01:00.0 (ctx0) can reach 01:00.1's BAR peer-to-peer without the IOMMU; 01:00.1 is bound to pci-stub, which does no DMA (W12, seed thread)");
    expect(v.steps[v.steps.length - 1]!.event.type).toBe('vfio_group_ioctl_get_device_fd');
  });

  it('the manifest records it as expected under the current kernel, with the accepted-exception note', () => {
    expect(manifestEntry('pci-stub-neighbour', 'current')).toMatchObject({ expected: 'violated', invariants: ['P2P'] });
    expect(KNOWN_WEAKNESSES['pci-stub-neighbour']).toMatch(/^accepted: driver_managed_dma \(pci-stub\), see seed thread/);
  });

  it('a user device beside a DMA-API driver (w1-vfio-viability) is an ordinary violation, not the exception', () => {
    const v = explore(model('vfio-vs-dma-api', 'w1-vfio-viability')).violations.find((x) => x.invariant === 'P2P')!;
    expect(v.reason).not.toMatch(/accepted exception/);
    expect(v.reason).toMatch(/held by e1000e$/);
  });

  it('a vfio-pci group-mate not yet opened is the owner\'s: vfio-vs-dma-api holds under the current kernel', () => {
    expect(explore(model('vfio-vs-dma-api')).violations).toEqual([]);
  });
});
