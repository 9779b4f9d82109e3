/**
 * A check split over CI machines: `check --shard K/N --json` on each machine, `iommu-mc merge`
 * at the end. Merged shards give the unsharded report (verdicts, counts, traces, exit code);
 * reports of another version, model or shard count, and duplicate or missing shards, are refused.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/cli.ts';
import { parseXml } from '../helpers/xml.ts';
import { shardIndices, shardOf } from '../../src/report/merge.ts';

const dir = mkdtempSync(join(tmpdir(), 'iommu-mc-shard-'));
const path = (name: string) => join(dir, name);
const SUBSET = ['--scenario', 'vfio-vs-dma-api', '--scenario', 'probe-failure'];
/** A scenario file whose w1 row is a mismatch (expected holds, found violated): the merged exit code is 1, with traces. */
const gpuAudio = path('gpu-audio.yaml');
writeFileSync(
  gpuAudio,
  'name: gpu-audio\ndevices:\n  - { name: "01:00.0", drivers: [vfio-pci] }\n  - { name: "01:00.1", drivers: [e1000e, vfio-pci] }\ncontexts:\n  - { name: qemu, paths: [iommufd, vfio-group] }\nvariants: [current, w1-vfio-viability, w8-probe-error-leak]\nexpect: { current: holds }\n',
);

/** The report without run times (they differ from run to run). */
const timeless = (json: string): unknown => JSON.parse(json, (k, v) => (k === 'seconds' ? undefined : v));

/** Runs `check ARGS --shard k/n --json` for k = 1..n, each report to a file; the file names. */
async function shards(args: string[], n: number, tag: string): Promise<string[]> {
  const files: string[] = [];
  for (let k = 1; k <= n; k++) {
    const r = await run(['check', ...args, '--shard', `${k}/${n}`, '--json']);
    expect(r.stderr).toBe('');
    const f = path(`${tag}-${k}-of-${n}.json`);
    writeFileSync(f, r.stdout);
    files.push(f);
  }
  return files;
}

describe('check --shard K/N', () => {
  it('job i goes to shard (i mod N) + 1: every job in exactly one shard', () => {
    expect([0, 1, 2, 3, 4].map((i) => shardOf(i, 3))).toEqual([1, 2, 3, 1, 2]);
    const all = [1, 2, 3].flatMap((k) => shardIndices(10, { index: k, count: 3 }));
    expect(all.sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
  });

  it('a shard report carries the version, the model, K/N and the job indices it ran', async () => {
    const r = await run(['check', ...SUBSET, '--shard', '2/3', '--json']);
    const j = JSON.parse(r.stdout);
    expect(j.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(j.model).toMatch(/^[0-9a-f]{16}$/);
    expect(j.shard).toMatchObject({ index: 2, count: 3, totalJobs: 44 });
    expect(j.shard.jobs.slice(0, 3)).toEqual([1, 4, 7]);
    expect(j.results).toHaveLength(j.shard.jobs.length);
    const text = await run(['check', ...SUBSET, '--shard', '2/3', '--traces', 'none']);
    expect(text.stdout).toMatch(/shard 2\/3: 15 of 44 checks/);
  });

  it.each(['0/3', '4/3', '1/0', 'a/b', '1.5/3', '2', '-1/3'])('--shard %s is bad usage: exit 2, one line', async (spec) => {
    const r = await run(['check', ...SUBSET, '--shard', spec]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`iommu-mc: --shard: expected K/N with whole numbers 1 <= K <= N (e.g. 2/4), got "${spec}"\n`);
  });

  it('--shard with --write-manifest is refused: the manifest records every job', async () => {
    const r = await run(['check', ...SUBSET, '--shard', '1/2', '--write-manifest', path('m.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('merge: N shards merged give the unsharded report', () => {
  it.each([1, 2, 3])('%i shard(s) of two built-in scenarios: same rows, verdicts, counts, traces and exit code', async (n) => {
    const whole = await run(['check', ...SUBSET, '--json']);
    const files = await shards(SUBSET, n, 'subset');
    // Any order of the files.
    const merged = await run(['merge', '--json', ...files.reverse()]);
    expect(merged.stderr).toBe('');
    expect(merged.code).toBe(whole.code);
    expect(timeless(merged.stdout)).toEqual(timeless(whole.stdout));
    const text = await run(['merge', ...files]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`44 checks: 44 as expected \\(26 hold, 18 violated as expected\\); 0 mismatches; 0 incomplete\\. .*merged from ${n} shard report`));
  });

  it('the whole built-in suite in 3 shards, merged: the unsharded report, and a JUnit file that parses and lists every job', async () => {
    const whole = await run(['check', '--json']);
    const files = await shards([], 3, 'suite');
    const junit = path('suite.xml');
    const merged = await run(['merge', '--json', '--junit', junit, ...files]);
    expect(merged.code).toBe(whole.code);
    expect(timeless(merged.stdout)).toEqual(timeless(whole.stdout));
    const jobs = JSON.parse(whole.stdout).results.length;
    expect(jobs).toBeGreaterThan(400);
    const names = parseXml(readFileSync(junit, 'utf8'));
    expect(names.filter((n) => n === 'testcase')).toHaveLength(jobs);
  });

  it('a mismatch in one shard makes the merged exit code 1, with the same trace as the unsharded run', async () => {
    const args = ['--scenario-file', gpuAudio];
    const whole = await run(['check', ...args, '--json']);
    expect(whole.code).toBe(1);
    const files = await shards(args, 2, 'gpu');
    const merged = await run(['merge', '--json', ...files]);
    expect(merged.code).toBe(1);
    expect(timeless(merged.stdout)).toEqual(timeless(whole.stdout));
    const text = await run(['merge', ...files]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/gpu-audio × w1-vfio-viability: found violated [A-Z0-9,]+, expected holds\n── w1-vfio-viability breaks \w+ in gpu-audio \(UNEXPECTED[;)]/);
    expect(text.stdout).toMatch(/ {2}1\. \w+\(.*\) by /);
    expect(text.stdout).toMatch(/3 checks: 2 as expected .*; 1 mismatch; 0 incomplete/);
  });

  it('an incomplete shard makes the merged exit code 3', async () => {
    const files = await shards([...SUBSET, '--variant', 'current', '--max-states', '5'], 2, 'cut');
    const merged = await run(['merge', ...files]);
    expect(merged.code).toBe(3);
  });
});

describe('merge refuses what it cannot merge: exit 2, one line naming the file', () => {
  const refused = async (files: string[], pattern: RegExp) => {
    const r = await run(['merge', ...files]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.endsWith('\n') && r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
  };

  it('another version', async () => {
    const [a, b] = await shards(SUBSET, 2, 'version');
    const j = JSON.parse(readFileSync(b!, 'utf8'));
    writeFileSync(b!, JSON.stringify({ ...j, version: '0.0.1' }));
    await refused([a!, b!], new RegExp(`^iommu-mc: ${b}: version: expected \\S+ \\(this iommu-mc\\), got 0\\.0\\.1\\n$`));
  });

  it('another model: other options (--max-states) or other jobs', async () => {
    const [a] = await shards(SUBSET, 2, 'model-a');
    const [, b] = await shards([...SUBSET, '--max-states', '100000'], 2, 'model-b');
    await refused([a!, b!], new RegExp(`^iommu-mc: ${b}: model: expected [0-9a-f]{16} as in ${a}, got [0-9a-f]{16}`));
    const [, c] = await shards(['--scenario', 'vfio-vs-dma-api', '--scenario', 'iommufd-two-contexts'], 2, 'model-c');
    await refused([a!, c!], new RegExp(`^iommu-mc: ${c}: model: `));
  });

  it('another shard count, a shard twice, a missing shard', async () => {
    const [a, b] = await shards(SUBSET, 2, 'count2');
    const [, c] = await shards(SUBSET, 3, 'count3');
    await refused([a!, c!], new RegExp(`^iommu-mc: ${c}: shard: expected a shard of 2 .* as in ${a}, got 2/3`));
    await refused([a!, b!, a!], new RegExp(`^iommu-mc: ${a}: shard: 1/2 is also in ${a}; expected each shard once`));
    await refused([b!], new RegExp(`^iommu-mc: ${b}: shard: expected all 2 shards; missing 1/2\\n$`));
  });

  it('a file that is not a shard report: not JSON, an error report, a report without a shard, no such file', async () => {
    const notJson = path('not.json');
    writeFileSync(notJson, '{ "ok": tru');
    await refused([notJson], new RegExp(`^iommu-mc: ${notJson}: expected the JSON of iommu-mc check --json`));
    const error = path('error.json');
    writeFileSync(error, JSON.stringify({ ok: false, exitCode: 2, error: '--scenario: unknown "x"' }));
    await refused([error], new RegExp(`^iommu-mc: ${error}: error: the check failed before it had results`));
    const [a] = await shards(SUBSET, 1, 'noshard');
    const { shard: _, ...rest } = JSON.parse(readFileSync(a!, 'utf8'));
    const old = path('old.json');
    writeFileSync(old, JSON.stringify(rest));
    await refused([old], new RegExp(`^iommu-mc: ${old}: shard: expected \\{ index: K, count: N \\}`));
    await refused([path('absent.json')], /absent\.json: cannot read the file \(no such file\)/);
  });
});
