// @vitest-environment happy-dom
/**
 * Counterexamples on the translation path (issue 15, point 7): each step shows what it changed in
 * the pages, the default domain's page table and flush queue, the IOTLB and the drivers' DMA
 * handles, one entry a line, and a device's DMA shows which IOVA it used, how the IOMMU served it,
 * which page it reached, stale or not, and its route through the switch to the IOMMU; in text,
 * ITF, Mermaid (parsed by Mermaid itself, under happy-dom) and the HTML report.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/explore.ts';
import { canonicalKey } from '../../src/engine/serialize.ts';
import type { TraceStep, Violation } from '../../src/engine/types.ts';
import type { IommuEvent } from '../../src/machines/events.ts';
import { buildModel, type Model } from '../../src/machines/model.ts';
import type { SystemState } from '../../src/machines/state.ts';
import { translationOf, withTranslation } from '../../src/machines/translation.ts';
import { currentKernel } from '../../src/machines/semantics/index.ts';
import { defineVariant, type Variant } from '../../src/machines/variants/index.ts';
import { formatTraceText } from '../../src/report/formatTrace.ts';
import { violationHtml } from '../../src/report/html/traceSteps.ts';
import { statesOfItf, toItf } from '../../src/report/itf.ts';
import { toMermaid } from '../../src/report/mermaid.ts';
import { diffStates } from '../../src/report/stateDiff.ts';
import { translationChanges } from '../../src/report/translationDiff.ts';
import { findScenario } from '../../src/scenarios/builtin.ts';
import { expectOk, model } from '../helpers/model.ts';
import { unmapWithoutSync } from '../helpers/translationVariants.ts';

type Mermaid = { parse: (text: string) => Promise<unknown> };
let mermaid: Mermaid;
beforeAll(async () => {
  mermaid = (await import('mermaid')).default as unknown as Mermaid;
});

/** The shortest STALE counterexample of scenario x variant (default: current). */
function stale(scenario: string, variant?: Variant): { v: Violation; m: Model } {
  const m = variant ? buildModel(findScenario(scenario)!, variant) : model(scenario);
  const v = explore(m).violations.find((x) => x.invariant === 'STALE')!;
  expect(v, `${scenario} breaks STALE`).toBeDefined();
  return { v, m };
}

/** A trace of the given calls from the initial state (each must succeed), for traces the checker would not print. */
function traceOf(m: Model, events: readonly IommuEvent[]): Violation {
  const init = m.init;
  let s = init;
  const steps: TraceStep[] = events.map((event) => {
    s = expectOk(m, s, event);
    return { event, errno: null, state: s };
  });
  return { invariant: 'STALE', kind: 'step', reason: 'witness', init, steps } as Violation;
}

const e1000e = { type: 'really_probe', dev: 0, driver: 'e1000e' } as const;
const map = { type: 'dma_map_page', dev: 0 } as const;
const dma = { type: 'dma_untranslated', dev: 0, iova: 0 } as const;
const unmap = { type: 'dma_unmap_page', dev: 0, iova: 0 } as const;

describe('a lazy dma_unmap_page counterexample as text (dma-api-unmap-lazy, iommu.strict=0)', () => {
  const { v, m } = stale('dma-api-unmap-lazy');
  const text = formatTraceText(v, m);

  it('dma_map_page shows the buffer page, the PTE and the driver\'s handle, one a line, and no JSON dump', () => {
    expect(text).toContain(
      ['        translation: pages[0] free→kernel (03:00.0)', '                     pagetable.ptes[0] NULL→page 0', '                     handles[03:00.0, iova 0] NULL→page 0'].join('\n'),
    );
    expect(text).not.toMatch(/group\.translation|"pages":|"iotlb":/);
  });

  it('dma_unmap_page frees the page and queues the IOVA on the flush queue while the IOTLB entry stays; the page\'s reuse makes that entry stale', () => {
    expect(text).toMatch(/dma_unmap_page\(03:00\.0, iova=0\) = 0[\s\S]*pages\[0\] kernel \(03:00\.0\)→free[\s\S]*pagetable\.ptes\[0\] page 0→NULL[\s\S]*pagetable\.fq \[\]→\[0\][\s\S]*handles\[03:00\.0, iova 0\] page 0→NULL/);
    expect(text).toMatch(/page_reuse\(page=0\) = 0\n {8}translation: pages\[0\] free→reused\n {21}iotlb\[default, iova 0\] page 0→page 0, stale\n/);
  });

  it('the first DMA walks the page table and fills the IOTLB; the faulty DMA names the device, the IOVA, the IOTLB hit, the page and STALE', () => {
    expect(text).toContain('translation: iotlb[default, iova 0] NULL→page 0\n        DMA: 03:00.0 DMA to iova 0 -> IOMMU, domain default: page walk (IOTLB filled) -> page 0 (a DMA buffer of 03:00.0)\n');
    expect(text).toMatch(/ 6\. device 03:00\.0 +dma_untranslated\(03:00\.0, iova=0\) = 0\n {8}DMA: 03:00\.0 DMA to iova 0 -> IOMMU, domain default: IOTLB hit -> page 0 \(reused by another owner\): STALE/);
  });

  it('the faulty DMA\'s route goes up the ACS switch to the IOMMU with the NIC\'s own requester ID', () => {
    expect(text).toContain('    route: 03:00.0 -> 02:08.0 (DSP, forwarded upstream) -> 01:00.0 (USP, forwarded upstream) -> 00:01.0 (RP, forwarded upstream) -> IOMMU (requester 03:00.0)');
  });
});

describe('the strict unmap as the kernel does it and as a variant breaks it (dma-api-unmap-strict)', () => {
  it('__iommu_dma_unmap, iommu_iotlb_sync and the device-TLB flush each show their step: PTE cleared, IOTLB entry dropped, then the page freed', () => {
    const m = model('dma-api-unmap-strict');
    const text = formatTraceText(traceOf(m, [e1000e, map, dma, unmap, { type: 'iommu_iotlb_sync', dev: 0 }, { type: 'iommu_flush_dev_iotlb', dev: 0 }]), m);
    expect(text).toMatch(/dma_unmap_page\(03:00\.0, iova=0\) = 0[\s\S]*translation: pagetable\.ptes\[0\] page 0→NULL\n {21}pagetable\.unmap NULL→03:00\.0, iova 0, pte_cleared\n/);
    expect(text).toMatch(/iommu_iotlb_sync\(03:00\.0\) = 0[\s\S]*?translation: pagetable\.unmap 03:00\.0, iova 0, pte_cleared→03:00\.0, iova 0, iotlb_done\n {21}iotlb\[default, iova 0\] page 0→NULL\n/);
    expect(text).toMatch(/iommu_flush_dev_iotlb\(03:00\.0\) = 0[\s\S]*?translation: pages\[0\] kernel \(03:00\.0\)→free\n {21}pagetable\.unmap 03:00\.0, iova 0, iotlb_done→NULL\n {21}handles\[03:00\.0, iova 0\] page 0→NULL/);
  });

  it('__iommu_dma_unmap without iommu_iotlb_sync (a variant file of test/helpers/translationVariants.ts): the unmap step leaves the IOTLB entry, the DMA after the reuse hits it', () => {
    const { v, m } = stale('dma-api-unmap-strict', unmapWithoutSync);
    const text = formatTraceText(v, m);
    const unmapStep = /dma_unmap_page\(03:00\.0, iova=0\) = 0\n([\s\S]*?)\n {2,3}\d\./.exec(text)![1]!;
    expect(unmapStep).toContain('pagetable.ptes[0] page 0→NULL');
    expect(unmapStep).not.toContain('iotlb');
    expect(text).toContain('DMA: 03:00.0 DMA to iova 0 -> IOMMU, domain default: IOTLB hit -> page 0 (reused by another owner): STALE');
  });

  it('an untrusted device\'s sub-page buffer is mapped through a bounce slot: the handle names the slot and the buffer page', () => {
    const m = model('dma-api-untrusted-subpage');
    const text = formatTraceText(traceOf(m, [e1000e, map, dma]), m);
    // Pages renumbered canonically (src/machines/pageSymmetry.ts): the mapped slot is page 0, the buffer's page 1.
    expect(text).toContain('handles[03:00.0, iova 0] NULL→page 0, buffer page 1');
    expect(text).toMatch(/pages\[0\] free→bounce \(03:00\.0\)[\s\S]*pages\[1\] free→kmalloc \(03:00\.0\)/);
    expect(text).toContain('page walk (IOTLB filled) -> page 0 (a swiotlb bounce slot of 03:00.0)');
  });
});

describe('ATS: the ATC in the trace, and a translated request as the faulty access (ats-invalidation-order)', () => {
  // docs/writing-variants.md's "invalidate the ATC before the IOTLB": an ATS Translation Request between the two refills the ATC.
  const atcFirst = defineVariant({
    name: 'atc-before-iotlb',
    kind: 'proposed',
    description: "The IOMMU driver's iotlb_sync invalidates the device's ATC first and the IOTLB after it.",
    source: 'docs/writing-variants.md',
    breaks: ['INV-ORDER', 'STALE'],
    overrides: {
      iommu_iotlb_sync: (env, s, a) => currentKernel.iommu_flush_dev_iotlb(env, s, a),
      iommu_flush_dev_iotlb: (env, s, a) => currentKernel.iommu_iotlb_sync(env, s, a),
    },
  });
  const { v, m } = stale('ats-invalidation-order', atcFirst);
  const text = formatTraceText(v, m);

  it('pci_enable_ats and the Translation Request show as entries of the ATS state, the device by name; the reuse makes the ATC entry stale', () => {
    expect(text).toMatch(/pci_enable_ats\(03:00\.0\) = 0\n[\s\S]*?translation: ats\.enabled \[\]→\[03:00\.0\]/);
    expect(text).toMatch(/ats_translation_request\(03:00\.0, iova=0\) = 0\n {8}translation: ats\.atc\[03:00\.0, default, iova 0\] NULL→page 0\n/);
    expect(text).toContain('ats.atc[03:00.0, default, iova 0] page 0→page 0, stale');
  });

  it('the faulty translated request names the ATC hit, the reused page and STALE, and its route ends at the IOMMU as a translated request', () => {
    expect(text).toMatch(/ats_translated_request\(03:00\.0, iova=0\) = 0\n {8}DMA: 03:00\.0 translated request to iova 0 -> IOMMU: ATC hit, accepted without a walk -> page 0 \(reused by another owner\): STALE/);
    expect(text).toMatch(/ {4}route: 03:00\.0 -> .* -> IOMMU \(translated\)\n/);
  });
});

describe('the diff is written over the translation state\'s parts, not field by field', () => {
  const scenario = model('dma-api-unmap-lazy').scenario;

  it('a part it has never seen, a per-device ATC of entries by (PASID, IOVA), shows entry by entry in the group\'s translation state', () => {
    const a = { atc: [[], []] };
    const b = { atc: [[{ pasid: null, iova: 0, phys: 0, stale: false }], []] };
    const c = { atc: [[{ pasid: null, iova: 0, phys: 0, stale: true }], []] };
    expect(translationChanges(a, b, scenario)).toEqual([{ path: 'atc[0][no PASID, iova 0]', from: null, to: 'page 0' }]);
    expect(translationChanges(b, c, scenario)).toEqual([{ path: 'atc[0][no PASID, iova 0]', from: 'page 0', to: 'page 0, stale' }]);
    expect(translationChanges(c, a, scenario)).toEqual([{ path: 'atc[0][no PASID, iova 0]', from: 'page 0, stale', to: null }]);
  });

  it('an ATC kept as a device field is diffed the same way, under the device\'s name', () => {
    const m = model('dma-api-unmap-lazy');
    const s = m.init;
    const withAtc = (st: SystemState, atc: unknown[]): SystemState => ({ ...st, devices: st.devices.map((d, i) => (i === 0 ? ({ ...d, atc } as typeof d) : d)) });
    const changes = diffStates(withAtc(s, []), withAtc(s, [{ pasid: 1, iova: 0, phys: 0, stale: false }]), m.scenario);
    expect(changes).toEqual([{ path: '03:00.0.atc[PASID 1, iova 0]', from: null, to: 'page 0', translation: true }]);
  });

  it('pci_enable_ats and an ATC fill beside an IOTLB fill in the group\'s own ATS state: each shows, devices by name, the other parts stay quiet', () => {
    const m = model('dma-api-unmap-lazy');
    const s = m.init;
    const t = translationOf(s, 0)!;
    const before = withTranslation(s, 0, { ...t, ats: { enabled: [], atc: [], tbPorts: [] } } as typeof t);
    const ats = { enabled: [0], atc: [{ dev: 0, iova: 0, domain: 'default', phys: 0, stale: false }], tbPorts: [] };
    const after = withTranslation(s, 0, { ...t, iotlb: [{ domain: 'default', iova: 0, phys: 0, stale: false }], ats } as typeof t);
    expect(diffStates(before, after, m.scenario).map((c) => `${c.path} ${c.from ?? 'NULL'}→${c.to}`)).toEqual([
      'iotlb[default, iova 0] NULL→page 0',
      'ats.enabled []→[03:00.0]',
      'ats.atc[03:00.0, default, iova 0] NULL→page 0',
    ]);
  });
});

describe('the same counterexample in ITF, Mermaid and the HTML report', () => {
  const { v, m } = stale('dma-api-unmap-lazy');

  it('ITF: each state\'s #meta carries its translation changes and the DMA access, and the states still round-trip', () => {
    const itf = JSON.parse(JSON.stringify(toItf(v, m)));
    expect(itf.states[2]['#meta']).toEqual({ index: 2, translation: ['pages[0] free→kernel (03:00.0)', 'pagetable.ptes[0] NULL→page 0', 'handles[03:00.0, iova 0] NULL→page 0'] });
    const last = itf.states[itf.states.length - 1]['#meta'];
    expect(last.dma).toMatchObject({ device: '03:00.0', iova: 0, via: 'iotlb', page: 0, stale: true, owner: 'reused by another owner' });
    expect(last.dma.route).toMatch(/^03:00\.0 -> .* -> IOMMU \(requester 03:00\.0\)$/);
    expect(statesOfItf(itf).map(canonicalKey)).toEqual([v.init, ...v.steps.map((s) => s.state)].map(canonicalKey));
  });

  it('Mermaid: the device\'s DMA goes to an IOMMU participant, which answers with the page and STALE; the changes are notes; Mermaid parses it', async () => {
    const text = toMermaid(v, m);
    expect(text).toContain('  participant iommu as IOMMU');
    expect(text).toContain('  p_device_03_00_0->>iommu: dma_untranslated(03:00.0, iova=0)\n  iommu-->>p_device_03_00_0: page 0 via IOTLB, STALE (reused by another owner)');
    expect(text).toContain('  Note right of kernel: pages[0] free→reused<br/>iotlb[default, iova 0] page 0→page 0, stale');
    await expect(mermaid.parse(text)).resolves.toBeTruthy();
  });

  it('HTML: the changes table has a row per entry, the faulty DMA is marked stale, and the route is drawn up to the IOMMU', () => {
    const html = violationHtml(v, m, { invariant: (id) => `#inv-${id}`, variant: (n) => `#var-${n}` }, 'stale-0');
    expect(html).toContain('<tr><td>iotlb[default, iova 0]</td><td class="from">page 0</td><td class="arrow">→</td><td class="to">page 0, stale</td></tr>');
    expect(html).toContain('<div class="dma stale"><span class="muted">DMA:</span> 03:00.0 DMA to iova 0 -&gt; IOMMU, domain default: IOTLB hit -&gt; page 0 (reused by another owner)');
    expect(html).toContain('DMA route on topology <code>switch-acs</code>');
    expect(html).not.toContain('&quot;pages&quot;');
  });
});
