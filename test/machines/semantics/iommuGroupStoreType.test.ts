/**
 * iommu_group_store_type (drivers/iommu/iommu.c, gregkh/linux 17194cd0dd23): "DMA-FQ" written to
 * /sys/kernel/iommu_groups/G/type brings up a flush queue on a DMA default domain live, drivers
 * bound, without iommu_get_def_domain_type, so an untrusted device boot kept strict gets the lazy
 * window (built-in dma-api-untrusted-sysfs-fq, a finding recorded as a weakness of the pinned
 * kernel); the proposed re-check (store-type-rechecks-untrusted) holds.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/engine/explore.ts';
import { buildModel } from '../../../src/machines/model.ts';
import { translationOf } from '../../../src/machines/translation.ts';
import { findVariant } from '../../../src/machines/variants/index.ts';
import { findScenario } from '../../../src/scenarios/builtin.ts';
import { KNOWN_WEAKNESSES } from '../../../src/scenarios/manifest.ts';
import { expectErrno, model, run } from '../../helpers/model.ts';
import { expectOverridable } from '../../helpers/overridable.ts';

const e1000e = { type: 'really_probe', dev: 0, driver: 'e1000e' } as const;
const map = { type: 'dma_map_page', dev: 0 } as const;
const storeFq = { type: 'iommu_group_store_type', group: 0 } as const;
const unmap = { type: 'dma_unmap_page', dev: 0, iova: 0 } as const;

describe('iommu_group_store_type: echo DMA-FQ > /sys/kernel/iommu_groups/G/type', () => {
  const m = model('dma-api-untrusted-sysfs-fq');

  it('boot gives the untrusted dock NIC a strict DMA default domain', () => {
    expect(translationOf(m.init, 0)!.pagetable.type).toBe('DMA');
  });

  it('switches the default domain to DMA-FQ live while e1000e is bound (no owner_cnt test on this path)', () => {
    const s = run(m, [e1000e, map, storeFq]);
    expect(s.groups[0]!.owner_cnt).toBe(1);
    expect(translationOf(s, 0)!.pagetable.type).toBe('DMA-FQ');
  });

  it('returns EPERM once the domain is DMA-FQ (the full change needs owner_cnt == 0, not modelled)', () => {
    expectErrno('EPERM', m, run(m, [e1000e, storeFq]), storeFq);
  });

  it('so the untrusted NIC\'s dma_unmap_page queues its IOVA: STALE-UNTRUSTED and STALE break, recorded as a weakness of the pinned kernel', () => {
    const r = explore(m);
    expect(r.violations.map((v) => v.invariant).sort()).toEqual(['STALE', 'STALE-UNTRUSTED']);
    const v = r.violations.find((x) => x.invariant === 'STALE-UNTRUSTED')!;
    expect(v.steps.map((x) => x.event.type)).toEqual(['really_probe', 'dma_map_page', 'iommu_group_store_type', 'dma_unmap_page']);
    expect(KNOWN_WEAKNESSES['dma-api-untrusted-sysfs-fq']).toMatch(/^finding on the pinned kernel/);
  });

  it('the proposed re-check of untrusted (store-type-rechecks-untrusted) refuses it with EINVAL and holds', () => {
    const fixed = buildModel(findScenario('dma-api-untrusted-sysfs-fq')!, findVariant('store-type-rechecks-untrusted')!);
    expectErrno('EINVAL', fixed, run(fixed, [e1000e]), storeFq);
    expect(explore(fixed).status).toBe('holds');
  });

  it('a trusted NIC with the same write is the documented relaxation: the lazy window (STALE), not STALE-UNTRUSTED', () => {
    const s = findScenario('dma-api-unmap-strict')!;
    const r = explore(buildModel({ ...s, groupTypeWrites: true }, findVariant('current')!));
    expect(r.violations.map((v) => v.invariant)).toEqual(['STALE']);
  });

  it('a variant file can override it', () => {
    expectOverridable('iommu_group_store_type', findScenario('dma-api-untrusted-sysfs-fq')!);
  });
});
