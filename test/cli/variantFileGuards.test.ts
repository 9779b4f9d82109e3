/**
 * Variant files whose code misbehaves: every case ends with exit 2 and one line naming the file
 * and the override (or the export, or the load), never a stack trace, a hang, a silent exit or a
 * verdict on an arbitrary state space. Run in-process (test/helpers/cli.ts `run`).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runJob } from '../../src/engine/check.ts';
import { UsageError } from '../../src/cli/errors.ts';
import { loadVariantFile, runVariantJob } from '../../src/cli/variantFile.ts';
import { findScenario } from '../../src/scenarios/builtin.ts';
import { run } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'iommu-mc-variant-guard-'));
const write = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

/** A variant file in the factory form with these overrides (the API arrives as `api`). */
const variant = (name: string, overrides: string, top = '') =>
  write(
    `${name}.ts`,
    `${top}
export default (api: any) => api.defineVariant({ name: '${name}', kind: 'proposed', description: 'd', source: 's', breaks: [],
  overrides: { ${overrides} } });
`,
  );

/** Runs `check` on one scenario; expects exit 2 and one stderr line; returns that line. */
async function refused(file: string, ...more: string[]): Promise<string> {
  const r = await run(['check', '--variant-file', file, '--scenario', 'vfio-vs-dma-api', ...more]);
  expect(r.code).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(r.stderr).not.toMatch(/data:text|\n\s+at /);
  expect(lines[0]).toContain(`iommu-mc: ${file}: `);
  return lines[0]!;
}

describe('check --variant-file: an override that returns a malformed state', { timeout: 120_000 }, () => {
  it('a state whose devices are null is refused, naming the slot and what a slot is', async () => {
    const file = variant('null-devices', `really_probe: (env: any, s: any) => api.ok({ ...s, devices: s.devices.map(() => null) })`);
    // The optional fields of issue 16's features follow `resetting` (vdevice, iopf_pending, ...): any more of them are fine.
    expect(await refused(file)).toMatch(
      /overrides\.really_probe: returned ok\(\) with a state whose devices\[0\] is null; expected a device slot \{ present, driver, hw, group_fd, iommufd, private_domain, sva, blocked, reset_depth, resetting(, \w+)* \}$/,
    );
  });

  it('a group domain that is an object, a driver not in the catalogue, an unknown field: each named by its path', async () => {
    const domain = variant('evil-domain', `really_probe: (env: any, s: any, a: any) => api.ok(api.updateGroup(s, api.groupOf(env.scenario, a.dev), { domain: { evil: true } }))`);
    expect(await refused(domain)).toMatch(/overrides\.really_probe: returned ok\(\) with a state whose groups\[0\]\.domain is an object; expected null or a domain name: "default", "blocking"/);
    const driver = variant('bad-driver', `really_probe: (env: any, s: any, a: any) => api.ok(api.updateDevice(s, a.dev, { driver: 'nvidia' }))`);
    expect(await refused(driver)).toMatch(/whose devices\[\d\]\.driver is "nvidia"; expected null or a driver name of the catalogue/);
    const extra = variant('extra-field', `really_probe: (env: any, s: any) => api.ok({ ...s, extra: 1 })`);
    expect(await refused(extra)).toContain('returned ok() with a state with an unknown field "extra"; expected only groups, devices, vfio_groups, containers, iommufd_groups, warn');
  });

  it('a well-formed state that breaks the counters is not refused: it is TypeOK\'s counterexample', async () => {
    const file = variant('bad-count', `really_probe: (env: any, s: any, a: any) => { const g = api.groupOf(env.scenario, a.dev); return api.ok(api.updateGroup(s, g, { owner_cnt: s.groups[g].owner_cnt - 1 })); }`);
    const r = await run(['check', '--variant-file', file, '--scenario', 'vfio-vs-dma-api', '--traces', 'none']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/vfio-vs-dma-api\s+bad-count\s+✗ violated TypeOK/);
  });
});

describe('check --variant-file: impure overrides', { timeout: 120_000 }, () => {
  it('a counter in a closure is named as not deterministic, with the first difference', async () => {
    const file = variant('stateful', `really_probe(env: any, s: any, a: any) { n++; return api.ok(api.updateGroup(s, api.groupOf(env.scenario, a.dev), { owner_cnt: n })); }`, 'let n = 0;');
    expect(await refused(file)).toContain(
      'overrides.really_probe is not deterministic: the same call on the same state returned two different results (next.groups[0].owner_cnt: 1, then 2); overrides must be pure functions of (env, s, args)',
    );
  });

  it('Math.random() is caught the same way (the run used to give another state count each time, "holds")', async () => {
    const file = variant('random', `iommu_device_use_default_domain: (env: any, s: any, a: any) => Math.random() < 0.5 ? api.err('EBUSY', 'dice') : api.currentKernel.iommu_device_use_default_domain(env, s, a)`);
    expect(await refused(file)).toMatch(/overrides\.iommu_device_use_default_domain is not deterministic: the same call on the same state returned two different results/);
  });

  it('an override whose nondeterminism only shows when a counterexample is replayed is reported as such', async () => {
    const v = await loadVariantFile(variant('replayed', `really_probe: (env: any, s: any, a: any) => api.currentKernel.really_probe(env, s, a)`));
    const job = { scenario: findScenario('vfio-vs-dma-api')!, variant: v, expectation: { expected: 'holds' as const, invariants: [], source: 'variant-file' as const } };
    const replayFails = () => {
      throw new Error('exploreFast: could not replay the trace to state 3');
    };
    expect(() => runVariantJob(replayFails, job, {})).toThrow(UsageError);
    expect(() => runVariantJob(replayFails, job, {})).toThrow(/replayed\.ts: the overrides are not deterministic: replaying a counterexample's calls gave other results/);
    // The same job with the real engine: no error.
    expect(runVariantJob(runJob, job, {}).status).toBe('holds');
  });

  it('writing to the frozen state throws (variant files run in strict mode) and is reported, not silently dropped', async () => {
    const file = variant('mutate', `really_probe(env: any, s: any, a: any) { s.groups[0].owner_cnt = 7; return api.currentKernel.really_probe(env, s, a); }`);
    expect(await refused(file)).toMatch(
      /overrides\.really_probe: threw TypeError: Cannot assign to read only property 'owner_cnt' of object '#<Object>'; states are frozen: return a new state \(updateGroup, updateDevice, updateVfioGroup, updateContainer\) instead of changing s/,
    );
  });

  it('process.exit in an override is refused, not a silent exit 0', async () => {
    const file = variant('exits', `really_probe() { process.exit(0); }`);
    expect(await refused(file)).toContain('overrides.really_probe: called process.exit(0); an override must return a result, not end the process');
  });
});

describe('check --variant-file: exports that throw when read', { timeout: 120_000 }, () => {
  it.each([
    ['a getter that throws', `export default { get name() { throw new Error('boom'); } };`, 'Error: boom'],
    ['a Proxy whose ownKeys throws', `export default new Proxy({}, { ownKeys() { throw new Error('no keys'); } });`, 'Error: no keys'],
    ['a factory whose result has a throwing getter', `export default () => ({ get overrides() { throw new RangeError('later'); } });`, 'RangeError: later'],
  ])('%s: one line, without the transpiled module', async (_what, text, thrown) => {
    const file = write(`export-${Math.random().toString(36).slice(2)}.ts`, text);
    expect(await refused(file)).toBe(`iommu-mc: ${file}: reading the export threw: ${thrown}`);
  });
});

describe('check --variant-file: code that does not end', { timeout: 120_000 }, () => {
  it('an override that loops is stopped by --max-seconds and named', async () => {
    const file = variant('loops', `really_probe() { for (;;) {} }`);
    expect(await refused(file, '--max-seconds', '1')).toContain('overrides.really_probe did not return within 1 s; an override must be a quick, pure function');
  });

  it('the same watchdog guards diff and simulate: a looping override is named, exit 2', async () => {
    const file = variant('loops-elsewhere', `really_probe() { for (;;) {} }`);
    for (const args of [
      ['diff', 'current', file, '--scenario', 'vfio-vs-dma-api', '--max-seconds', '1'],
      ['simulate', '--variant-file', file, '--scenario', 'vfio-vs-dma-api', '--seed', '1', '--seconds', '1'],
    ]) {
      const r = await run(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('overrides.really_probe did not return within 1 s; an override must be a quick, pure function');
    }
  });

  it('an override called by another override that loops is named with its caller', async () => {
    const file = variant(
      'loops-inside',
      `iommu_device_use_default_domain() { for (;;) {} },
       really_probe: (env: any, s: any, a: any) => api.currentKernel.really_probe(env, s, a)`,
    );
    expect(await refused(file, '--max-seconds', '1')).toContain('overrides.iommu_device_use_default_domain (called from overrides.really_probe) did not return within 1 s');
  });

  it('a file that loops at load time, or awaits forever at the top level (.mts), is stopped at the load deadline', async () => {
    const loop = write('loop-at-load.ts', `for (;;) {}\nexport default {};\n`);
    // --max-seconds 1 bounds the load to 2 s (MIN_LOAD_SECONDS), not 10.
    expect(await refused(loop, '--max-seconds', '1')).toContain(
      'cannot load the file: loading did not finish within 2 s (an endless loop at the top level, or a top-level await that never settles?)',
    );
    const tla = write('never.mts', `await new Promise(() => {});\nexport default {};\n`);
    expect(await refused(tla, '--max-seconds', '1')).toContain('cannot load the file: loading did not finish within 2 s');
    // The loader still works after both.
    const ok = await run(['check', '--variant-file', variant('fine-after', ''), '--scenario', 'vfio-vs-dma-api', '--traces', 'none']);
    expect(ok.code).toBe(0);
  });

  it('process.exit at the top of the file is refused (it used to end the run with exit 0 and no output)', async () => {
    const file = write('exit0.ts', `process.exit(0);\nexport default {};\n`);
    expect(await refused(file)).toContain('cannot load the file: its top level called process.exit(0); a variant file may not end the process');
    const caught = write('exit0-caught.ts', `try { process.exit(0); } catch {}\nexport default {};\n`);
    expect(await refused(caught)).toContain('its top level called process.exit(0)');
  });

  it('top-level await: an error in a CommonJS .ts file, fine in an .mts file', async () => {
    const cjs = write('tla.ts', `await Promise.resolve();\nexport default {};\n`);
    expect(await refused(cjs)).toMatch(/cannot load the file: syntax error at line 1, column \d+: Top-level await is currently not supported with the "cjs" output format/);
    const esm = write('tla-ok.mts', `const api: any = await Promise.resolve(null);\nexport default (a: any) => a.defineVariant({ name: 'tla-ok', kind: 'proposed', description: 'd', source: 's', breaks: [], overrides: {} });\n`);
    const r = await run(['check', '--variant-file', esm, '--scenario', 'vfio-vs-dma-api', '--traces', 'none']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
