/**
 * User mappings in the interleavings (issue 15, step 5): VFIO type1 (VFIO_IOMMU_MAP_DMA /
 * UNMAP_DMA: vfio_dma_do_map, vfio_dma_do_unmap, vfio_sync_unpin) and iommufd (IOMMU_IOAS_MAP /
 * UNMAP: iopt_map_user_pages, iopt_unmap_iova, iopt_area_unpin_domain), on the built-in NIC below
 * an ACS switch port that a user takes and maps its own memory for.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/engine/explore.ts';
import { ok } from '../../../src/kernel/errno.ts';
import type { IommuEvent } from '../../../src/machines/events.ts';
import { buildModel } from '../../../src/machines/model.ts';
import { currentKernel } from '../../../src/machines/semantics/index.ts';
import { translationOf, withTranslation } from '../../../src/machines/translation.ts';
import { defineVariant } from '../../../src/machines/variants/index.ts';
import { findScenario } from '../../../src/scenarios/builtin.ts';
import { expectOverridable } from '../../helpers/overridable.ts';
import { expectErrno, expectOk, model, run } from '../../helpers/model.ts';
import { unpinBeforeIotlbSync } from '../../helpers/translationVariants.ts';

const vfioPci = { type: 'really_probe', dev: 0, driver: 'vfio-pci' } as const;
const dma = { type: 'dma_untranslated', dev: 0, iova: 0 } as const;
const reuse = { type: 'page_reuse', group: 0, page: 0 } as const;
const type1Setup: IommuEvent[] = [
  vfioPci,
  { type: 'vfio_group_fops_open', ctx: 0, group: 0 },
  { type: 'vfio_group_ioctl_set_container', ctx: 0, group: 0 },
  { type: 'vfio_ioctl_set_iommu', ctx: 0 },
];
const iommufdSetup: IommuEvent[] = [vfioPci, { type: 'vfio_df_ioctl_bind_iommufd', ctx: 0, dev: 0 }, { type: 'vfio_df_ioctl_attach_pt', ctx: 0, dev: 0, hwpt: 0 }];
const mapDma = { type: 'vfio_dma_do_map', ctx: 0, group: 0, iova: 0 } as const;
const unmapDma = { type: 'vfio_dma_do_unmap', ctx: 0, group: 0, iova: 0 } as const;
const syncUnpin = { type: 'vfio_sync_unpin', ctx: 0, group: 0 } as const;
const ioasMap = { type: 'iopt_map_user_pages', ctx: 0, group: 0, iova: 0 } as const;
const ioasUnmap = { type: 'iopt_unmap_iova', ctx: 0, group: 0, iova: 0 } as const;
const unpinDomain = { type: 'iopt_area_unpin_domain', ctx: 0, group: 0 } as const;

/** The calls of a counterexample from the first map on. */
const fromMap = (events: readonly IommuEvent[]) => {
  const types = events.map((e) => e.type);
  return types.slice(types.findIndex((t) => t === 'vfio_dma_do_map' || t === 'iopt_map_user_pages'));
};

describe('VFIO_IOMMU_MAP_DMA / UNMAP_DMA (vfio_iommu_type1.c)', () => {
  const m = model('vfio-type1-unmap');

  it('vfio_dma_do_map pins a page for the context and maps it in container:0; the NIC\'s DMA walks it and fills the IOTLB', () => {
    const s = run(m, [...type1Setup, mapDma]);
    const t = translationOf(s, 0)!;
    expect(t.pages[0]).toEqual({ state: 'pinned', ctx: 0 });
    expect(t.user!.ptes).toEqual([{ phys: 0, stale: false, domain: 'container:0' }]);
    expect(translationOf(expectOk(m, s, dma), 0)!.iotlb).toEqual([{ domain: 'container:0', iova: 0, phys: 0, stale: false }]);
  });

  it('vfio_dma_do_map without the type1 backend returns -EINVAL; a mapped IOVA returns -EEXIST', () => {
    expectErrno('EINVAL', m, run(m, type1Setup.slice(0, 3)), mapDma);
    expectErrno('EEXIST', m, run(m, [...type1Setup, mapDma]), mapDma);
  });

  it('vfio_dma_do_unmap clears the PTE; vfio_sync_unpin syncs the IOTLB first (the page stays pinned), then vfio_unpin_pages_remote', () => {
    const cleared = run(m, [...type1Setup, mapDma, dma, unmapDma]);
    expect(translationOf(cleared, 0)!.user).toEqual({ ptes: [null], unmap: { domain: 'container:0', iova: 0, phys: 0, phase: 'pte_cleared' } });
    const userCalls = ['vfio_dma_do_map', 'vfio_dma_do_unmap', 'vfio_sync_unpin'];
    expect(m.events(cleared).filter((e) => userCalls.includes(e.type))).toEqual([syncUnpin]);
    const synced = translationOf(expectOk(m, cleared, syncUnpin), 0)!;
    expect(synced.iotlb).toEqual([]);
    expect(synced.pages[0]).toEqual({ state: 'pinned', ctx: 0 });
    const done = translationOf(run(m, [syncUnpin, syncUnpin], cleared), 0)!;
    expect(done.pages[0]).toEqual({ state: 'free' });
    expect(done.user!.unmap).toBeNull();
  });

  it('type1 domains are unmanaged: with iommu.strict=0 the unmap still syncs before it returns, and no page is offered for reuse', () => {
    expect(findScenario('vfio-type1-unmap')!.invalidation).toBe('lazy');
    const s = run(m, [...type1Setup, mapDma, dma, unmapDma, syncUnpin, syncUnpin]);
    expect(m.events(s)).not.toContainEqual(reuse);
    expect(expectOk(m, s, dma)).toBe(s);
  });

  it('closing the group file with a mapping: the container\'s last group detaches, the domain is unmapped, synced and unpinned', () => {
    const s = run(m, [...type1Setup, mapDma, dma, { type: 'vfio_group_fops_release', ctx: 0, group: 0 }]);
    const t = translationOf(s, 0)!;
    expect(t.user).toEqual({ ptes: [null], unmap: null });
    expect(t.iotlb).toEqual([]);
    expect(t.pages[0]).toEqual({ state: 'free' });
  });

  it('the whole scenario holds: no DMA reaches a page after its unmap returned (STALE), nothing else breaks', () => {
    const r = explore(m);
    expect(r.status).toBe('holds');
    expect(r.violations).toEqual([]);
  });
});

describe('IOMMU_IOAS_MAP / IOMMU_IOAS_UNMAP (iommufd io_pagetable.c, pages.c)', () => {
  const m = model('iommufd-ioas-unmap');

  it('iopt_map_user_pages pins the page and maps it in the hwpt\'s domain hwpt:0.0', () => {
    const s = run(m, [...iommufdSetup, ioasMap, dma]);
    const t = translationOf(s, 0)!;
    expect(t.pages[0]).toEqual({ state: 'pinned', ctx: 0 });
    expect(t.user!.ptes).toEqual([{ phys: 0, stale: false, domain: 'hwpt:0.0' }]);
    expect(t.iotlb).toEqual([{ domain: 'hwpt:0.0', iova: 0, phys: 0, stale: false }]);
  });

  it('iopt_unmap_iova of an IOVA no area covers returns -ENOENT', () => {
    expectErrno('ENOENT', m, run(m, iommufdSetup), ioasUnmap);
  });

  it('iopt_area_unpin_domain: iommu_unmap (PTE, then IOTLB sync) and only then batch_unpin ("unpin must follow unmap")', () => {
    const cleared = run(m, [...iommufdSetup, ioasMap, dma, ioasUnmap]);
    const synced = translationOf(expectOk(m, cleared, unpinDomain), 0)!;
    expect(synced.iotlb).toEqual([]);
    expect(synced.pages[0]).toEqual({ state: 'pinned', ctx: 0 });
    expect(translationOf(run(m, [unpinDomain, unpinDomain], cleared), 0)!.pages[0]).toEqual({ state: 'free' });
  });

  it('detaching the device from the hwpt with a mapping unfills the domain: unmapped, synced, unpinned', () => {
    const s = run(m, [...iommufdSetup, ioasMap, dma, { type: 'vfio_df_ioctl_detach_pt', ctx: 0, dev: 0 }]);
    expect(translationOf(s, 0)!.pages[0]).toEqual({ state: 'free' });
    expect(translationOf(s, 0)!.iotlb).toEqual([]);
  });

  it('the whole scenario holds', () => {
    const r = explore(m);
    expect(r.status).toBe('holds');
    expect(r.violations).toEqual([]);
  });
});

describe('unpin before iommu_iotlb_sync (variant: the reverse of vfio_sync_unpin\'s order)', () => {
  it.each([
    ['vfio-type1-unmap', ['vfio_dma_do_map', 'dma_untranslated', 'vfio_dma_do_unmap', 'vfio_sync_unpin', 'page_reuse', 'dma_untranslated']],
    ['iommufd-ioas-unmap', ['iopt_map_user_pages', 'dma_untranslated', 'iopt_unmap_iova', 'iopt_area_unpin_domain', 'page_reuse', 'dma_untranslated']],
  ])('breaks STALE on %s: map, DMA, unmap, unpin, reuse, DMA through the stale IOTLB entry', (name, steps) => {
    const r = explore(buildModel(findScenario(name)!, unpinBeforeIotlbSync));
    const v = r.violations.find((x) => x.invariant === 'STALE');
    expect(v, 'no STALE counterexample').toBeDefined();
    expect(fromMap(v!.steps.map((x) => x.event))).toEqual(steps);
    expect(v!.reason).toMatch(/reaches physical page 0, now reused by another owner, through a stale IOTLB entry: the page was unpinned by the user's unmap of (container:0|hwpt:0\.0) and allocated again$/);
    expect(r.violations.map((x) => x.invariant)).toEqual(['STALE']);
  });
});

describe('every new call of the rule table can be overridden by a variant', () => {
  const calls = [
    ['vfio_dma_do_map', 'vfio-type1-unmap'],
    ['vfio_dma_do_unmap', 'vfio-type1-unmap'],
    ['vfio_sync_unpin', 'vfio-type1-unmap'],
    ['vfio_unpin_pages_remote', 'vfio-type1-unmap'],
    ['iopt_map_user_pages', 'iommufd-ioas-unmap'],
    ['iopt_unmap_iova', 'iommufd-ioas-unmap'],
    ['iopt_area_unpin_domain', 'iommufd-ioas-unmap'],
    ['batch_unpin', 'iommufd-ioas-unmap'],
  ] as const;

  it.each(calls)('%s: an override that records a WARN_ON is reached and changes the verdict (%s)', (name, scenarioName) => {
    const scenario = findScenario(scenarioName)!;
    expectOverridable(name, scenario);
  });
});

describe('ATS on the user domain: the ATC is invalidated inside the sync, before the unpin', () => {
  const m = model('vfio-type1-unmap');
  const enableAts = { type: 'pci_enable_ats', dev: 0 } as const;
  const translationRequest = { type: 'ats_translation_request', dev: 0, iova: 0 } as const;

  it('pci_enable_ats on container:0; the Translation Completion fills the ATC tagged container:0; vfio_sync_unpin drops it with the IOTLB entry', () => {
    const s = run(m, [...type1Setup, enableAts, mapDma, translationRequest]);
    expect(translationOf(s, 0)!.ats!.atc).toEqual([{ dev: 0, iova: 0, domain: 'container:0', phys: 0, stale: false }]);
    const synced = translationOf(run(m, [unmapDma, syncUnpin], s), 0)!;
    expect(synced.ats!.atc).toEqual([]);
    expect(synced.iotlb).toEqual([]);
  });

  it('a sync that skips the device-TLB (iommu_flush_dev_iotlb a no-op) breaks STALE through the stale ATC entry after the unpin and reuse', () => {
    const noDevTlb = defineVariant({
      name: 'no-dev-iotlb-flush',
      kind: 'seeded',
      description: 'iommu_flush_dev_iotlb does nothing.',
      source: 'test',
      breaks: ['STALE', 'INV-ORDER'],
      overrides: { iommu_flush_dev_iotlb: (_env, s) => ok(s) },
    });
    const r = explore(buildModel(findScenario('vfio-type1-unmap')!, noDevTlb));
    const v = r.violations.find((x) => x.invariant === 'STALE');
    expect(v, 'no STALE counterexample').toBeDefined();
    expect(v!.steps.at(-1)!.event).toEqual({ type: 'ats_translated_request', dev: 0, iova: 0 });
    expect(v!.reason).toMatch(/through a stale ATC entry: the page was unpinned by the user's unmap of container:0 and allocated again$/);
  });
});

describe('TypeOK on user mappings', () => {
  it('a vfio_dma_do_map that maps a page without pinning it breaks TypeOK (a user PTE must map a page pinned for its context)', () => {
    const mapWithoutPin = defineVariant({
      name: 'map-dma-without-pin',
      kind: 'seeded',
      description: 'vfio_dma_do_map maps the page and then drops the pin.',
      source: 'test',
      breaks: ['TypeOK'],
      overrides: {
        vfio_dma_do_map(env, s, a) {
          const r = currentKernel.vfio_dma_do_map(env, s, a);
          if (!r.ok) return r;
          const t = translationOf(r.next, a.group)!;
          return ok(withTranslation(r.next, a.group, { ...t, pages: t.pages.map((p) => (p.state === 'pinned' ? { state: 'free' as const } : p)) }));
        },
      },
    });
    const v = explore(buildModel(findScenario('vfio-type1-unmap')!, mapWithoutPin)).violations.find((x) => x.invariant === 'TypeOK');
    expect(v?.reason).toMatch(/has a user PTE at IOVA page 0 in container:0 for page 0, which is not pinned for that context/);
  });
});
