/** `iommu-mc simulate`, run as a user runs it (in process), with fixed seeds. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/cli.ts';

const flawed = ['simulate', '--scenario', 'iommufd-two-contexts', '--variant', 'bug-claim-ignores-owner', '--runs', '200', '--depth', '30', '--seed', '7'];

describe('iommu-mc simulate', { timeout: 30_000 }, () => {
  it('a seeded flaw: exit 1, the seed, the shrunk trace and coverage; the same seed prints the same', async () => {
    const a = await run(flawed);
    expect(a.code).toBe(1);
    expect(a.stdout).toMatch(/seed 7, up to 200 runs of depth 30/);
    expect(a.stdout).toMatch(/── bug-claim-ignores-owner breaks I3 in iommufd-two-contexts \(first found in \d+ calls, shrunk to \d+, shortest search: 4; none shorter exists\) ──/);
    expect(a.stdout).toMatch(/Coverage of the random runs[\s\S]*vfio_df_ioctl_bind_iommufd +enabled \d+, fired \d+/);
    expect(a.stdout).toMatch(/violation of I3 found in 4 calls \(seed 7\)/);
    const b = await run(flawed);
    expect(b.stdout).toBe(a.stdout);
  });

  it('where nothing is found: "no violation found in R runs of depth D (seed S)", exit 0, not a proof', async () => {
    const r = await run(['simulate', '--scenario', 'vfio-container-two-groups', '--runs', '100', '--depth', '30', '--seed', '3']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/no violation found in 100 runs of depth 30 \(seed 3\): not a proof/);
    expect(r.stdout).not.toMatch(/\bholds\b(?!")/);
  });

  it('--json: the seed, the verdict, the trace and the coverage', async () => {
    const r = await run([...flawed, '--json']);
    const j = JSON.parse(r.stdout);
    expect(r.code).toBe(1);
    expect(j).toMatchObject({ command: 'simulate', seed: 7, depth: 30, verdict: 'violated', violated: true, exitCode: 1, violation: { invariant: 'I3', calls: 4 } });
    expect(j.coverage.really_probe.enabled).toBeGreaterThan(0);
    const ok = JSON.parse((await run(['simulate', '--scenario', 'vfio-container-two-groups', '--runs', '50', '--seed', '1', '--json'])).stdout);
    expect(ok).toMatchObject({ verdict: 'no-violation-found', violated: false, message: 'no violation found in 50 runs of depth 50 (seed 1)', exitCode: 0 });
  });

  it('--trace-format itf prints the trace as ITF', async () => {
    const r = await run([...flawed, '--trace-format', 'itf']);
    expect(r.stdout).toMatch(/"mbt::actionTaken": "vfio_df_ioctl_bind_iommufd"/);
  });

  it('--replay runs a trace check wrote back: still breaks (exit 1), not under current (exit 0), not applicable (exit 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iommu-mc-sim-'));
    const c = await run(['check', '--scenario', 'iommufd-two-contexts', '--variant', 'bug-claim-ignores-owner', '--trace-format', 'itf', '--out', dir]);
    expect(c.code).toBe(0);
    const trace = join(dir, 'iommufd-two-contexts', 'bug-claim-ignores-owner', 'I8.itf.json');
    const still = await run(['simulate', '--replay', trace]);
    expect(still.code).toBe(1);
    expect(still.stdout).toMatch(/still breaks I8 after 4 calls on iommufd-two-contexts under bug-claim-ignores-owner/);
    const fixed = await run(['simulate', '--replay', trace, '--variant', 'current']);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toMatch(/call 4 diverges from the recording: returned -EPERM, recorded 0/);
    expect(fixed.stdout).toMatch(/no longer breaks I8/);
    const other = await run(['simulate', '--replay', trace, '--scenario', 'vfio-vs-dma-api']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/^iommu-mc: .*I8\.itf\.json: states\[3\]: vfio_df_ioctl_bind_iommufd is not a call enabled at step 3 .*; the trace does not apply\n$/);
  });

  it('bad input is one line and exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iommu-mc-sim-'));
    const bad = join(dir, 'bad.itf.json');
    writeFileSync(bad, JSON.stringify({ states: [{}, { 'mbt::actionTaken': 'nope', 'mbt::nondetPicks': {} }] }));
    const cases: [string[], RegExp][] = [
      [['simulate', '--replay', bad], /states\[1\]\.mbt::actionTaken: expected a kernel call name, got "nope"/],
      [['simulate', '--seed', 'x', '--scenario', 'probe-failure'], /--seed: expected a whole number/],
      [['simulate'], /--scenario: expected a built-in scenario name or --scenario-file FILE/],
      [['simulate', '--scenario', 'nope'], /--scenario: unknown "nope"/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('--shard K/N: each shard its own seed and run depth (swarm), each deterministic; a bad K/N is exit 2', async () => {
    const shardOf = async (k: number) => JSON.parse((await run(['simulate', '--scenario', 'vfio-vs-dma-api', '--variant', 'w1-vfio-viability', '--seed', '5', '--shard', `${k}/3`, '--json'])).stdout);
    const shards = [await shardOf(1), await shardOf(2), await shardOf(3)];
    expect(shards.map((j) => j.seed)).toEqual([5, 5 + 7919, 5 + 2 * 7919]);
    expect(shards.map((j) => j.depth)).toEqual([17, 34, 50]);
    expect(shards.every((j) => j.verdict === 'violated' && j.shard.count === 3)).toBe(true);
    expect((await shardOf(2)).violation).toEqual(shards[1].violation);
    const bad = await run(['simulate', '--scenario', 'vfio-vs-dma-api', '--shard', '4/3']);
    expect(bad.code).toBe(2);
  });
});
