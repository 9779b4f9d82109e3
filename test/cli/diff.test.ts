/** `iommu-mc diff`, run as a user runs it. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_SCENARIOS } from '../../src/scenarios/builtin.ts';
import { run } from '../helpers/cli.ts';



describe('iommu-mc diff', { timeout: 30_000 }, () => {
  it('current against itself: no difference anywhere, exit 0', async () => {
    const r = await run(['diff', 'current', 'current']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`current and current: no difference on ${BUILTIN_SCENARIOS.length} scenarios\\.`));
    expect(r.stdout).not.toMatch(/first divergence/);
  });

  it('current against w7 prints the invariants, the states and the diverging call side by side, exit 0', async () => {
    const r = await run(['diff', 'current', 'w7-claim-detach-to-null', '--scenario', 'vfio-vs-dma-api']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/invariants: w7-claim-detach-to-null breaks I6, I9/);
    expect(r.stdout).toMatch(/states: +current \d+, w7-claim-detach-to-null \d+, \d+ in both/);
    expect(r.stdout).toMatch(/first divergence after 2 calls: the same call leads to different states/);
    expect(r.stdout).toMatch(/current +\s= 0[\s\S]*changed: .*group\.domain default→blocking/);
    expect(r.stdout).toMatch(/w7-claim-detach-to-null += 0[\s\S]*changed: .*group\.domain default→NULL/);
    expect(r.stdout).toMatch(/differ on 1 of 1 scenario: vfio-vs-dma-api\./);
  });

  it('--json: one object per scenario', async () => {
    const r = await run(['diff', 'current', 'w4-sva-device-count', '--json', '--scenario', 'sva-peer-hot-add', '--scenario', 'vfio-vs-dma-api']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.identical).toBe(false);
    const [sva, vfio] = j.scenarios;
    expect(sva).toMatchObject({ scenario: 'sva-peer-hot-add', identical: false, complete: true });
    expect(sva.b.onlyInvariants).toEqual(['I12']);
    expect(sva.divergence).toMatchObject({ kind: 'ok-vs-error', call: { event: 'iommu_sva_bind_device' }, a: { errno: '-EINVAL' }, b: { errno: null } });
    expect(vfio).toMatchObject({ scenario: 'vfio-vs-dma-api', identical: true, divergence: null });
  });

  it('a variant file may stand for either side', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iommu-mc-diff-'));
    const file = join(dir, 'mine.ts');
    writeFileSync(file, `export default (api: any) => api.defineVariant({ name: 'mine', kind: 'proposed', description: 'd', source: 's', breaks: [], overrides: {} });\n`);
    const r = await run(['diff', file, 'current', '--scenario', 'probe-failure']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/probe-failure: mine vs current ──\n {2}no difference/);
  });

  it('--max-states and --max-seconds bound a comparison: incomplete, with the bound named, exit 3', async () => {
    const r = await run(['diff', 'current', 'w1-vfio-viability', '--scenario', 'vfio-vs-dma-api', '--max-states', '5']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/incomplete \(max-states\): a bound cut exploration short/);
    const j = JSON.parse((await run(['diff', 'current', 'w1-vfio-viability', '--scenario', 'vfio-vs-dma-api', '--max-states', '5', '--json'])).stdout);
    expect(j.scenarios?.[0]?.bound ?? j.results?.[0]?.bound).toBe('max-states');
    const bad = await run(['diff', 'current', 'current', '--max-seconds', '1e3']);
    expect(bad.code).toBe(2);
  });

  it('bad input exits 2 with one line', async () => {
    const r = await run(['diff', 'current', 'no-such-variant']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/VARIANT_B: unknown "no-such-variant"; choose one of: current,/);
    expect((await run(['diff', 'current', 'current', '--scenario', 'nope'])).code).toBe(2);
    expect((await run(['diff', 'current', '/no/such/file.ts'])).stderr).toMatch(/\/no\/such\/file\.ts: cannot read the file \(no such file\)/);
  });

  it('a bound exits 3', async () => {
    expect((await run(['diff', 'current', 'w7-claim-detach-to-null', '--scenario', 'vfio-vs-dma-api', '--max-states', '3'])).code).toBe(3);
  });
});
