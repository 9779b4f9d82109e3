/**
 * ATS in the translation path (issue 15, step 4): pci_ats_supported / pci_enable_ats /
 * pci_disable_ats (drivers/pci/ats.c), the Translation Blocking clause of pci_std_enable_acs
 * (drivers/pci/pci.c), the device's Translation Request filling its ATC, translated requests
 * routed through the fabric, and the device-TLB flush after the IOTLB. Built-ins ats-untrusted,
 * ats-translated-peer, ats-invalidation-order.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/engine/explore.ts';
import { ok } from '../../../src/kernel/errno.ts';
import type { IommuEvent } from '../../../src/machines/events.ts';
import { buildModel } from '../../../src/machines/model.ts';
import { translationOf } from '../../../src/machines/translation.ts';
import { currentVariant } from '../../../src/machines/variants/index.ts';
import { staleTranslation } from '../../../src/invariants/staleTranslation.ts';
import { findScenario } from '../../../src/scenarios/builtin.ts';
import { expectOverridable } from '../../helpers/overridable.ts';
import { expectErrno, expectOk, model, run } from '../../helpers/model.ts';
import { acsWithoutTranslationBlocking, atcBeforeIotlb, atsAlwaysOn, atsAlwaysOnWithoutAtcFlush, atsForUntrusted } from '../../helpers/translationVariants.ts';

const e1000e = { type: 'really_probe', dev: 0, driver: 'e1000e' } as const;
const enableAts = { type: 'pci_enable_ats', dev: 0 } as const;
const disableAts = { type: 'pci_disable_ats', dev: 0 } as const;
const map = { type: 'dma_map_page', dev: 0 } as const;
const dma = { type: 'dma_untranslated', dev: 0, iova: 0 } as const;
const translate = { type: 'ats_translation_request', dev: 0, iova: 0 } as const;
const translated = { type: 'ats_translated_request', dev: 0, iova: 0 } as const;
const unmap = { type: 'dma_unmap_page', dev: 0, iova: 0 } as const;
const sync = { type: 'iommu_iotlb_sync', dev: 0 } as const;
const devTlb = { type: 'iommu_flush_dev_iotlb', dev: 0 } as const;
const reuse = { type: 'page_reuse', group: 0, page: 0 } as const;

/** The calls of a counterexample, by type, without the driver binding. */
const steps = (v: { steps: readonly { event: IommuEvent }[] }) => v.steps.map((x) => x.event.type).filter((t) => t !== 'really_probe');

describe('scenarios without ATS carry no ATS state', () => {
  it('dma-api-unmap-strict has no `ats` in its translation state, and offers no ATS call', () => {
    const m = model('dma-api-unmap-strict');
    expect(translationOf(m.init, 0)).not.toHaveProperty('ats');
    expect(m.events(run(m, [e1000e, map])).map((e) => e.type).filter((t) => t.includes('ats'))).toEqual([]);
  });
});

describe('pci_enable_ats on a trusted device; the ATC caches Translation Completions', () => {
  const m = model('ats-invalidation-order');

  it('the IOMMU driver enables ATS; a Translation Request walks the page table and fills the IOTLB and the ATC', () => {
    const s = run(m, [enableAts, e1000e, map, translate]);
    const t = translationOf(s, 0)!;
    expect(t.ats!.enabled).toEqual([0]);
    expect(t.iotlb).toEqual([{ domain: 'default', iova: 0, phys: 0, stale: false }]);
    expect(t.ats!.atc).toEqual([{ dev: 0, iova: 0, domain: 'default', phys: 0, stale: false }]);
    expect(m.events(s)).toContainEqual(translated);
  });

  it('pci_disable_ats drops the device\'s ATC and its translated requests are no longer offered', () => {
    const s = run(m, [enableAts, e1000e, map, translate, disableAts]);
    expect(translationOf(s, 0)!.ats).toMatchObject({ enabled: [], atc: [] });
    expect(m.events(s)).not.toContainEqual(translated);
  });

  it('kernel order: the IOTLB is invalidated first, so a Translation Request before the device-TLB flush faults on the cleared PTE', () => {
    const synced = run(m, [enableAts, e1000e, map, translate, unmap, sync]);
    expect(translationOf(synced, 0)!.ats!.atc).toHaveLength(1);
    expect(expectOk(m, synced, translate)).toBe(synced);
    const done = translationOf(expectOk(m, synced, devTlb), 0)!;
    expect(done.ats!.atc).toEqual([]);
    expect(done.pages[0]).toEqual({ state: 'free' });
  });

  it('the whole scenario holds: STALE (also through the ATC) and INV-ORDER', () => {
    expect(explore(m).violations).toEqual([]);
  });

  it('invalidating the ATC before the IOTLB breaks INV-ORDER: a Translation Request in between refills the ATC from the stale IOTLB', () => {
    const r = explore(buildModel(findScenario('ats-invalidation-order')!, atcBeforeIotlb));
    const byId = new Map(r.violations.map((v) => [v.invariant, v]));
    expect(steps(byId.get('INV-ORDER')!)).toEqual(['pci_enable_ats', 'dma_map_page', 'dma_untranslated', 'dma_unmap_page', 'iommu_iotlb_sync', 'ats_translation_request', 'iommu_flush_dev_iotlb']);
    expect(byId.get('INV-ORDER')!.reason).toMatch(/^03:00\.0's ATC still maps IOVA page 0 to physical page 0 after iommu_flush_dev_iotlb completed its invalidation/);
    expect(steps(byId.get('STALE')!).slice(-3)).toEqual(['iommu_flush_dev_iotlb', 'page_reuse', 'ats_translated_request']);
    expect(byId.get('STALE')!.reason).toMatch(/through a stale ATC entry: the page was freed after dma_unmap_page and allocated again$/);
  });

  it('under iommu.strict=0 STALE sees the DMA through the ATC too (the accepted lazy window)', () => {
    const lazy = buildModel({ ...findScenario('ats-invalidation-order')!, invalidation: 'lazy' }, currentVariant);
    const prev = run(lazy, [enableAts, e1000e, map, translate, unmap, reuse]);
    expect(staleTranslation.step!(prev, translated, expectOk(lazy, prev, translated), lazy.scenario)).toMatch(/^03:00\.0's translated request for IOVA page 0 reaches physical page 0, now reused by another owner, through a stale ATC entry/);
  });
});

describe('pci_ats_supported: an untrusted device is not trusted with ATS', () => {
  const m = model('ats-untrusted');

  it('pci_enable_ats returns -EINVAL with pci_ats_supported\'s reason', () => {
    const r = expectErrno('EINVAL', m, m.init, enableAts);
    expect(r.ok ? '' : r.reason).toBe('pci_ats_supported: dev->untrusted: an external-facing device is not trusted with ATS');
  });

  it('its forged translated requests are rejected at the IOMMU (ATS not enabled), and peer-bound ones are redirected there by ACS RR: the scenario holds', () => {
    expect(m.events(m.init)).toContainEqual({ type: 'ats_translated_request', dev: 0, page: 0 });
    expect(m.events(m.init)).toContainEqual({ type: 'ats_translated_request', dev: 0, peer: '04:00.0' });
    expect(explore(m).violations).toEqual([]);
  });

  it('giving ATS to untrusted devices (pci_ats_supported without the untrusted test) breaks ATS-TRUST at pci_enable_ats', () => {
    const v = explore(buildModel(findScenario('ats-untrusted')!, atsForUntrusted)).violations.find((x) => x.invariant === 'ATS-TRUST')!;
    expect(steps(v)).toEqual(['pci_enable_ats']);
    expect(v.reason).toBe('untrusted 03:00.0 has ATS enabled: the IOMMU will accept its translated requests to any address without a walk');
  });
});

describe('ACS Translation Blocking on the external-facing port (pci_std_enable_acs)', () => {
  const m = model('ats-translated-peer');

  it('the kernel sets TB on the port above the untrusted device, which blocks its translated requests; the scenario holds', () => {
    expect(translationOf(m.init, 0)!.ats!.tbPorts).toEqual(['02:08.0']);
    expect(explore(m).violations).toEqual([]);
  });

  it('without TB, the translated request crosses the port (ACS DT) to the peer\'s BAR: ATS-TRUST with the route', () => {
    const v = explore(buildModel(findScenario('ats-translated-peer')!, acsWithoutTranslationBlocking)).violations.find((x) => x.invariant === 'ATS-TRUST')!;
    expect(v.steps.map((x) => x.event)).toEqual([{ type: 'ats_translated_request', dev: 0, peer: '04:00.0' }]);
    expect(v.reason).toBe(
      "untrusted 03:00.0 (ATS not enabled)'s translated request reaches 04:00.0's BAR peer-to-peer (route: 03:00.0 issue -> 02:08.0 route-peer -> 02:10.0 route-down -> 04:00.0 claim): no port on the way blocks translated requests (ACS TB)",
    );
  });
});

describe('every new ATS call of the rule table can be overridden by a variant', () => {
  const calls = ['pci_ats_supported', 'pci_enable_ats', 'pci_disable_ats', 'pci_std_enable_acs', 'iommu_flush_dev_iotlb', 'device_block_translation'] as const;

  it.each(calls)('%s: a variant file may override it, and an override that records a WARN_ON is reached and changes the verdict', (name) => {
    const scenario = findScenario(name === 'pci_std_enable_acs' ? 'ats-translated-peer' : name === 'device_block_translation' ? 'ats-vfio-claim-lazy' : 'ats-invalidation-order')!;
    expectOverridable(name, scenario);
  });
});

describe('step 7: ATS across a domain switch (device_block_translation) and the 2026 "ATS always on" axis', () => {
  const scenario = findScenario('ats-vfio-claim-lazy')!;
  const toVfio = [
    enableAts,
    e1000e,
    map,
    translate,
    unmap,
    { type: 'device_release_driver', dev: 0 },
    { type: 'really_probe', dev: 0, driver: 'vfio-pci' },
    { type: 'vfio_group_fops_open', ctx: 0, group: 0 },
    { type: 'vfio_group_ioctl_set_container', ctx: 0, group: 0 },
  ] as const satisfies readonly IommuEvent[];

  it('today (v7.0): claiming the group for VFIO takes the RID off the default domain and disables ATS with it; the deferred flush leaves no ATC', () => {
    const m = buildModel(scenario, currentVariant);
    const s = run(m, [...toVfio]);
    expect(s.devices[0]!.hw).toBe('blocking');
    expect(translationOf(s, 0)!.ats).toMatchObject({ enabled: [], atc: [] });
    const r = explore(m);
    // The lazy window (STALE) is the accepted trade-off; INV-ORDER holds.
    expect(r.violations.map((v) => v.invariant)).toEqual(['STALE']);
  });

  it('ATS always on (2026, 073e63812525 / 5ff98a0da6b4): ATS stays enabled on the blocking domain, the ATC is flushed at the switch, INV-ORDER holds', () => {
    const m = buildModel(scenario, atsAlwaysOn);
    const s = run(m, [...toVfio]);
    expect(translationOf(s, 0)!.ats).toMatchObject({ enabled: [0], atc: [] });
    expect(explore(m).violations.map((v) => v.invariant)).toEqual(['STALE']);
  });

  it('ATS always on without flushing the ATC at the switch breaks INV-ORDER: fq_flush_timeout reaches only the devices still on the default domain', () => {
    const r = explore(buildModel(scenario, atsAlwaysOnWithoutAtcFlush));
    const v = r.violations.find((x) => x.invariant === 'INV-ORDER')!;
    expect(v.steps.map((x) => x.event.type)).toEqual([...toVfio.map((e) => e.type), 'fq_flush_timeout']);
    expect(v.reason).toBe(
      "03:00.0's ATC still maps IOVA page 0 to physical page 0 after fq_flush_timeout completed its invalidation: its RID is on blocking now, so the device-TLB flush of default did not reach it, and ATS stayed enabled with the ATC unflushed when it left default",
    );
  });
});
