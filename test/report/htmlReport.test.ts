/**
 * The HTML report's page builder (src/report/html): every job has its row and its detail, the
 * rows carry the values the filters read, and every string from a scenario or a variant is
 * escaped, however hostile (a `<script>` in a name, quotes, newlines, terminal escapes).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkHtmlPath } from '../../src/cli/htmlFile.ts';
import { UsageError } from '../../src/cli/errors.ts';
import { getExitCode, runJob, type CheckResult, type Expectation } from '../../src/engine/check.ts';
import { diffModels } from '../../src/engine/diff.ts';
import { buildModel } from '../../src/machines/model.ts';
import type { Scenario } from '../../src/machines/scenario.ts';
import { defineVariant, findVariant, type Variant } from '../../src/machines/variants/index.ts';
import { checkReportHtml } from '../../src/report/html/checkPage.ts';
import { diffReportHtml } from '../../src/report/html/diffPage.ts';
import { esc, inlineScript } from '../../src/report/html/escape.ts';
import { findScenario } from '../../src/scenarios/builtin.ts';
import { manifestEntry } from '../../src/scenarios/manifest.ts';

/** Runs scenario x variant with the manifest's expectation, as `check` does. */
function run(scenario: Scenario, variant: Variant): CheckResult {
  const e = manifestEntry(scenario.name, variant.name);
  const expectation: Expectation = e ? { expected: e.expected, invariants: e.invariants, source: 'manifest' } : { expected: 'holds', invariants: [], source: 'default' };
  return runJob({ scenario, variant, expectation });
}

const builtin = (name: string): Scenario => findScenario(name)!;
const variant = (name: string): Variant => findVariant(name)!;

const EVIL = '<script>alert(1)</script>"\'\n\x1b[31m&amp;';

/** vfio-vs-dma-api with hostile names for the scenario, a device and a context, under a hostile copy of w1. */
function hostileResult(): CheckResult {
  const s = builtin('vfio-vs-dma-api');
  const scenario: Scenario = {
    ...s,
    name: `evil ${EVIL}`,
    devices: s.devices.map((d, i) => (i === 1 ? { ...d, name: `<img src=x onerror=alert(2)>` } : d)),
    contexts: s.contexts.map((c, i) => (i === 0 ? { ...c, name: `qemu</pre><script>alert(3)</script>` } : c)),
  };
  const w1 = variant('w1-vfio-viability');
  const v = defineVariant({ ...w1, name: `w1 "${EVIL}`, description: `desc ${EVIL}`, source: `<a href="javascript:alert(4)">src</a>` });
  return runJob({ scenario, variant: v, expectation: { expected: 'violated', invariants: ['I1'], source: 'variant-file' } });
}

const rowsOf = (html: string) => [...html.matchAll(/<tr id="(job-\d+)" class="([^"]*)"([^>]*)>/g)].map((m) => ({ id: m[1]!, cls: m[2]!, attrs: m[3]! }));
const attr = (attrs: string, name: string) => new RegExp(` data-${name}="([^"]*)"`).exec(attrs)?.[1];

describe('HTML report page builder', () => {
  const results = [
    run(builtin('vfio-vs-dma-api'), variant('current')),
    run(builtin('vfio-vs-dma-api'), variant('w1-vfio-viability')),
    run(builtin('switch-split-mainline'), variant('current')),
    run(builtin('switch-split-mainline'), variant('w7-claim-detach-to-null')),
  ];
  const html = checkReportHtml(results, getExitCode(results));

  it('has one row and one detail row per job, in order, with scenario and variant', () => {
    const rows = rowsOf(html);
    expect(rows.map((r) => r.id)).toEqual(['job-0', 'job-1', 'job-2', 'job-3']);
    rows.forEach((r, i) => {
      expect(attr(r.attrs, 'scenario')).toBe(results[i]!.scenario);
      expect(attr(r.attrs, 'variant')).toBe(results[i]!.variant);
      expect(html).toContain(`<tr id="job-${i}-detail" class="detail" hidden>`);
    });
  });

  it('rows carry the verdict, the invariants and the variant the filters read, and the selects offer them', () => {
    const rows = rowsOf(html);
    expect(attr(rows[0]!.attrs, 'verdict')).toBe('holds expected');
    expect(attr(rows[0]!.attrs, 'invariants')).toBe('');
    expect(attr(rows[1]!.attrs, 'verdict')).toBe('violated expected');
    expect(attr(rows[1]!.attrs, 'invariants')!.split(' ')).toEqual(expect.arrayContaining(['I1', 'I4', 'WARN']));
    expect(attr(rows[2]!.attrs, 'invariants')!.split(' ').sort()).toEqual(['P2P', 'RID']);
    for (const key of ['verdict', 'invariants', 'variant']) expect(html).toContain(`<select data-filter="${key}">`);
    expect(html).toMatch(/<option value="violated">violated \(3\)<\/option>/);
    expect(html).toMatch(/<option value="RID">RID \(2\)<\/option>/);
    expect(html).toMatch(/<option value="current">current \(2\)<\/option>/);
  });

  it('marks a mismatch and a run cut short apart from the results as expected', () => {
    const wrong = runJob({ scenario: builtin('vfio-vs-dma-api'), variant: variant('w1-vfio-viability'), expectation: { expected: 'holds', invariants: [], source: 'default' } });
    const cut = runJob({ scenario: builtin('vfio-vs-dma-api'), variant: variant('current'), expectation: { expected: 'holds', invariants: [], source: 'default' } }, { maxStates: 3 });
    expect(cut.status).toBe('incomplete');
    const page = checkReportHtml([wrong, cut], getExitCode([wrong, cut]));
    const [a, b] = rowsOf(page);
    expect([a!.cls, attr(a!.attrs, 'verdict')]).toEqual(['job mismatch', 'violated mismatch']);
    expect([b!.cls, attr(b!.attrs, 'verdict')]).toEqual(['job', 'incomplete']);
    expect(page).toMatch(/<b>1<\/b><span>mismatches<\/span>/);
    expect(page).toMatch(/<b>1<\/b><span>incomplete<\/span>/);
    expect(page).toContain('<dt>cut short</dt><dd>by max-states: violations may be missing</dd>');
  });

  it('a violated job opens to numbered steps with call chains and state changes, a diagram and, for a route, the topology', () => {
    const detail = html.slice(html.indexOf('<tr id="job-2-detail"'), html.indexOf('<tr id="job-3"'));
    expect(detail).toContain('<ol class="steps">');
    expect(detail).toMatch(/<span class="actor">driver core<\/span> really_probe\(03:00\.0, driver=vfio-pci\) = <span class="ret ok">0<\/span>/);
    expect(detail).toContain('<ul class="chain">');
    expect(detail).toMatch(/<td>03:00\.0\.driver<\/td><td class="from">NULL<\/td>/);
    expect(detail).toMatch(/<pre class="mermaid">sequenceDiagram\n/);
    expect(detail).toMatch(/<svg [^>]*class="topology"/);
    expect(detail).toContain('04:00.0 BAR0 0xa0200000; IOMMU never sees it');
    expect(detail).toMatch(/href="#inv-P2P"/);
    expect(html).toContain('<dt id="inv-P2P">');
    expect(html).toContain('<dt id="variant-w7-claim-detach-to-null">');
  });

  it('escapes every name and text from a scenario or a variant', () => {
    const r = hostileResult();
    expect(r.result.violations.length).toBeGreaterThan(0);
    const page = checkReportHtml([r], 1);
    // Only the page's own script element: none from the names.
    expect(page.match(/<script/gi)).toHaveLength(1);
    expect(page).not.toMatch(/<img|<\/pre><script|<a href="javascript/);
    expect(page).toContain('evil &lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;');
    expect(page).toContain('&amp;amp;');
    expect(page).toContain('&lt;img src=x onerror=alert(2)&gt;');
    expect(page).toContain('&lt;a href=&quot;javascript:alert(4)&quot;&gt;src&lt;/a&gt;');
    // data- attributes hold the names as one token each, quoted safely.
    const row = rowsOf(page)[0]!;
    expect(attr(row.attrs, 'variant')).toBe(esc(`w1_"${EVIL}`.replace(/\s+/g, '_')));
  });

  it('inlines scripts so that a `</script` or `<!--` inside them cannot end the element', () => {
    const js = 'var a = "</script><b>"; var b = /<!--x/; var c = `</SCRIPT>`;';
    expect(inlineScript(js)).not.toMatch(/<\/script|<!--/i);
    expect(new Function(`${inlineScript(js)}; return [a, b.source, c];`)()).toEqual(['</script><b>', '\\x3C!--x', '</SCRIPT>']);
    const page = checkReportHtml(results.slice(0, 1), 0, { mermaidJs: 'window.mermaid = { tag: "</script>" };' });
    expect(page.match(/<script>/g)).toHaveLength(2);
    expect(page).toContain('window.mermaid = { tag: "\\x3C/script>" };');
  });

  it('diff: one row per scenario, the divergence with both outcomes, the invariant only one side breaks', () => {
    const pairs = ['vfio-vs-dma-api', 'switch-split-mainline'].map((name) => {
      const models = { a: buildModel(builtin(name), variant('current')), b: buildModel(builtin(name), variant('w7-claim-detach-to-null')) };
      return { diff: diffModels(models.a, models.b, { maxStates: 100_000, examples: 2 }), models };
    });
    const page = diffReportHtml(pairs, 0);
    const rows = rowsOf(page);
    expect(rows.map((r) => attr(r.attrs, 'scenario'))).toEqual(['vfio-vs-dma-api', 'switch-split-mainline']);
    expect(attr(rows[0]!.attrs, 'verdict')).toBe('differs');
    expect(page).toContain('<div class="outcomes">');
    expect(page).toMatch(/First divergence after 2 calls: the same call leads to different states/);
    expect(page).toMatch(/breaks <a class="chip broken" href="#inv-I6"/);
  });
});

describe('--html path check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iommu-mc-html-'));

  it('accepts a new file in an existing or creatable directory', () => {
    expect(() => checkHtmlPath(join(dir, 'report.html'))).not.toThrow();
    expect(() => checkHtmlPath(join(dir, 'new', 'sub', 'report.html'))).not.toThrow();
  });

  it('refuses a directory, and a path below a file, with one line naming the path', () => {
    mkdirSync(join(dir, 'isdir'), { recursive: true });
    expect(() => checkHtmlPath(join(dir, 'isdir'))).toThrow(UsageError);
    expect(() => checkHtmlPath(join(dir, 'isdir'))).toThrow(/isdir: --html: expected a file to write the page to, not a directory$/);
    writeFileSync(join(dir, 'afile'), 'x');
    expect(() => checkHtmlPath(join(dir, 'afile', 'report.html'))).toThrow(/afile is not a directory$/);
  });
});
