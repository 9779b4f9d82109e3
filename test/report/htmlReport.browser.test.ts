/**
 * The HTML report in a real browser: Debian's headless Chromium, driven by playwright-core,
 * opens a page made from a few jobs (violated ones among them) from a file:// URL, with the real
 * Mermaid bundle inlined. Every job is listed, a violated job opens to its steps and a rendered
 * sequence diagram (an svg Mermaid drew), the filters hide and show rows, and the console stays
 * free of errors. The screenshots go to test-output/ (git-ignored).
 *
 * Without a chromium executable the test fails under CI (.ci/run installs the Debian package)
 * and is skipped with a message elsewhere.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mermaidBundle } from '../../src/cli/htmlFile.ts';
import { getExitCode, runJob, type CheckResult, type Expectation } from '../../src/engine/check.ts';
import { findVariant } from '../../src/machines/variants/index.ts';
import { checkReportHtml } from '../../src/report/html/checkPage.ts';
import { findScenario } from '../../src/scenarios/builtin.ts';
import { manifestEntry } from '../../src/scenarios/manifest.ts';

/** The chromium executable: $CHROMIUM_PATH, else chromium or chromium-browser on the PATH. */
function findChromium(): string | null {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

const CHROMIUM = findChromium();
const OUT = join(import.meta.dirname, '../../test-output');

const JOBS: [string, string][] = [
  ['vfio-vs-dma-api', 'current'],
  ['vfio-vs-dma-api', 'w1-vfio-viability'],
  ['switch-split-mainline', 'current'],
  ['switch-split-mainline', 'w7-claim-detach-to-null'],
  ['forged-rid-mainline', 'current'],
];

function run([scenario, variant]: [string, string]): CheckResult {
  const e = manifestEntry(scenario, variant);
  const expectation: Expectation = e ? { expected: e.expected, invariants: e.invariants, source: 'manifest' } : { expected: 'holds', invariants: [], source: 'default' };
  return runJob({ scenario: findScenario(scenario)!, variant: findVariant(variant)!, expectation });
}

if (!CHROMIUM) {
  if (process.env.CI) throw new Error('chromium is not installed: .ci/run installs the Debian package `chromium` before the tests');
  console.warn('htmlReport.browser.test.ts: skipped, no chromium on the PATH (apt-get install chromium, or set CHROMIUM_PATH)');
}

describe.skipIf(!CHROMIUM)('HTML report in headless Chromium', { timeout: 60_000 }, () => {
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const results = JOBS.map(run);
  const visibleRows = () => page.locator('tr.job:not([hidden])').count();

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const file = join(OUT, 'html-report.html');
    writeFileSync(file, checkReportHtml(results, getExitCode(results), { mermaidJs: mermaidBundle() }));
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => !r.url().startsWith('file:') && !r.url().startsWith('data:') && problems.push(`network request: ${r.url()}`));
    await page.goto(pathToFileURL(file).href);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('lists every job with its scenario and variant', async () => {
    expect(await page.locator('tr.job').count()).toBe(JOBS.length);
    for (const [i, [scenario, variant]] of JOBS.entries()) {
      const cells = await page.locator(`#job-${i} td`).allInnerTexts();
      expect(cells.slice(1, 3)).toEqual([scenario, variant]);
    }
    expect(await page.locator('.filters .count').innerText()).toBe(`${JOBS.length} of ${JOBS.length} jobs shown`);
    await page.screenshot({ path: join(OUT, 'html-report.png') });
  });

  it('opening a violated job shows its steps, the DMA route and a sequence diagram rendered by Mermaid', async () => {
    const detail = page.locator('#job-2-detail');
    expect(await detail.isHidden()).toBe(true);
    await page.locator('#job-2 .toggle').click();
    expect(await detail.isVisible()).toBe(true);
    expect(await detail.locator('ol.steps > li').count()).toBeGreaterThan(2);
    expect(await detail.locator('ul.chain li').first().innerText()).toContain('pci_dma_configure');
    expect(await detail.locator('svg.topology').count()).toBe(2);
    // Diagrams render as they come near the viewport, as the reader scrolls to them.
    await detail.locator('pre.mermaid').first().scrollIntoViewIfNeeded();
    const diagram = detail.locator('pre.mermaid svg[aria-roledescription="sequence"]').first();
    await diagram.waitFor({ timeout: 20_000 });
    expect(await diagram.locator('text', { hasText: 'vfio_df_ioctl_bind_iommufd' }).count()).toBeGreaterThan(0);
    await detail.locator('.violation').first().screenshot({ path: join(OUT, 'html-report-job.png') });
    await page.locator('#job-2 .toggle').click();
    expect(await detail.isHidden()).toBe(true);
  });

  it('filters by verdict, invariant and variant, and resets', async () => {
    await page.selectOption('select[data-filter="verdict"]', 'holds');
    expect(await visibleRows()).toBe(results.filter((r) => r.status === 'holds').length);
    await page.selectOption('select[data-filter="verdict"]', 'violated');
    await page.selectOption('select[data-filter="invariants"]', 'RID');
    expect(await visibleRows()).toBe(results.filter((r) => r.result.violations.some((v) => v.invariant === 'RID')).length);
    await page.selectOption('select[data-filter="variant"]', 'w7-claim-detach-to-null');
    expect(await page.locator('tr.job:not([hidden]) td:nth-child(2)').allInnerTexts()).toEqual(['switch-split-mainline']);
    await page.fill('input[data-search]', 'no-such-scenario');
    expect(await visibleRows()).toBe(0);
    await page.locator('button[data-reset]').click();
    expect(await visibleRows()).toBe(JOBS.length);
  });

  it('an invariant chip links to its description and kernel reference', async () => {
    await page.locator('#job-4 a.chip', { hasText: 'RID' }).first().click();
    expect(page.url()).toMatch(/#inv-RID$/);
    expect(await page.locator('#inv-RID + dd').innerText()).toMatch(/kernel: .*PCI_ACS_SV/);
  });

  it('logs no console error and asks the network for nothing', () => {
    expect(problems).toEqual([]);
  });
});
