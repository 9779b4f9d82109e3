/** The command line, run as a user runs it: exit codes, one-line errors, JSON shape, files. */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, run } from '../helpers/cli.ts';



const tmp = () => mkdtempSync(join(tmpdir(), 'iommu-mc-'));

/** `check FLAG --write-manifest` exits 2: the manifest records exact full-space counts. */
async function expectRefusedWithManifest(flag: string) {
  const r = await run(['check', flag, '--write-manifest', 'x.json']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(new RegExp(`${flag} and --write-manifest cannot be combined`));
}

describe('iommu-mc check', () => {
  it('an unknown scenario exits 2 with one line naming the choices', async () => {
    const r = await run(['check', '--scenario', 'no-such-thing']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--scenario: unknown "no-such-thing"; choose one of: vfio-vs-dma-api/);
  });

  it('declared symmetry is reduced by default; --no-symmetry explores the full space with the same verdicts; --symmetry is refused with --write-manifest (exit 2)', async () => {
    const args = ['check', '--json', '--scenario', 'iommufd-two-contexts'];
    const byDefault = JSON.parse((await run(args)).stdout);
    const full = JSON.parse((await run([...args, '--no-symmetry'])).stdout);
    expect(byDefault.ok).toBe(true);
    expect(full.ok).toBe(true);
    expect(byDefault.results.every((r: { symmetry: boolean }) => r.symmetry)).toBe(true);
    expect(full.results.some((r: { symmetry: boolean }) => r.symmetry)).toBe(false);
    const verdicts = (j: { results: { variant: string; status: string; violations: { invariant: string }[] }[] }) =>
      j.results.map((r) => [r.variant, r.status, r.violations.map((v) => v.invariant)]);
    expect(verdicts(byDefault)).toEqual(verdicts(full));
    const states = (j: { results: { distinctStates: number }[] }) => j.results.reduce((n, r) => n + r.distinctStates, 0);
    expect(states(byDefault)).toBeLessThan(states(full));
    const text = (await run(['check', '--scenario', 'iommufd-two-contexts', '--traces', 'none'])).stdout;
    expect(text).toMatch(/with symmetry reduction: interchangeable devices explored once, states counted up to renaming them; --no-symmetry counts every state/);
    await expectRefusedWithManifest('--symmetry');
  });

  it('--fingerprints gives the same verdicts and counts, reports the collision bound, and is refused with --write-manifest (exit 2)', async () => {
    const args = ['check', '--json', '--scenario', 'iommufd-two-contexts'];
    const exact = JSON.parse((await run(args)).stdout);
    const fp = JSON.parse((await run([...args, '--fingerprints'])).stdout);
    const counts = (j: { results: { variant: string; status: string; distinctStates: number; transitions: number }[] }) =>
      j.results.map((r) => [r.variant, r.status, r.distinctStates, r.transitions]);
    expect(counts(fp)).toEqual(counts(exact));
    expect(exact.results.every((r: { fingerprints: boolean; collisionProbability: null }) => !r.fingerprints && r.collisionProbability === null)).toBe(true);
    expect(fp.results.every((r: { fingerprints: boolean; collisionProbability: number }) => r.fingerprints && r.collisionProbability > 0 && r.collisionProbability < 1e-12)).toBe(true);
    const text = (await run(['check', '--scenario', 'iommufd-two-contexts', '--traces', 'none', '--fingerprints'])).stdout;
    expect(text).toMatch(/With 64-bit fingerprints, the probability that a collision hid states is at most \d\.\de-\d+/);
    await expectRefusedWithManifest('--fingerprints');
  });

  it('--workers 2 gives the same verdicts, counts and counterexamples; a count outside 1..256 exits 2 with one line', async () => {
    const args = ['check', '--json', '--scenario', 'hot-add-owned-group'];
    const one = JSON.parse((await run(args)).stdout);
    const two = JSON.parse((await run([...args, '--workers', '2'])).stdout);
    const drop = (j: { results: Record<string, unknown>[] }) => j.results.map(({ seconds: _s, ...r }) => r);
    expect(drop(two)).toEqual(drop(one));
    // The built-in scenarios stay below PARALLEL_FROM states: no thread is started for them.
    expect(two.results.every((r: { threads: number }) => r.threads === 1)).toBe(true);
    for (const bad of ['0', '257', 'two']) {
      const r = await run(['check', '--workers', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/--workers: expected a whole number from 1 to 256/);
    }
  });

  it('--json prints one object with the documented fields', async () => {
    const r = await run(['check', '--json', '--scenario', 'sva-peer-hot-add', '--variant', 'current', '--variant', 'w4-sva-device-count']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(true);
    expect(j.results).toHaveLength(2);
    const w4 = j.results.find((x: { variant: string }) => x.variant === 'w4-sva-device-count');
    expect(w4).toMatchObject({ scenario: 'sva-peer-hot-add', status: 'violated', expected: 'violated', matchesExpectation: true });
    expect(w4.violations[0]).toMatchObject({ invariant: 'I12' });
    expect(w4.violations[0].steps.map((s: { event: string }) => s.event)).toContain('iommu_sva_bind_device');
    expect(j.results[0]).toHaveProperty('distinctStates');
    expect(j.results[0]).toHaveProperty('transitions');
  });

  it('a bound that cuts exploration short exits 3 with status incomplete', async () => {
    const r = await run(['check', '--json', '--scenario', 'vfio-vs-dma-api', '--variant', 'current', '--max-states', '5']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).results[0].status).toBe('incomplete');
  });

  it('--out writes one trace file per counterexample in the chosen format', async () => {
    const dir = join(tmp(), 'traces');
    const r = await run(['check', '--scenario', 'vfio-vs-dma-api', '--variant', 'w7-claim-detach-to-null', '--trace-format', 'mermaid', '--out', dir]);
    expect(r.code).toBe(0);
    const files = readdirSync(join(dir, 'vfio-vs-dma-api', 'w7-claim-detach-to-null'));
    expect(files).toContain('I6.mmd');
    expect(files.some((f) => f.includes('.tmp-'))).toBe(false);
  });

  it('prints a table, the W3 trace of today\'s kernel and a summary line', async () => {
    const r = await run(['check', '--scenario', 'private-domain-hot-add', '--variant', 'current']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/iommu_detach_device: WARN_ON/);
    expect(r.stdout).toMatch(/1 check: 1 as expected/);
  });
});

describe('iommu-mc check --scenario-file', () => {
  const write = (name: string, text: string) => {
    const f = join(tmp(), name);
    writeFileSync(f, text);
    return f;
  };

  it('a valid YAML scenario is checked and holds under the current kernel', async () => {
    const f = write('ok.yaml', 'name: my-group\ndevices:\n  - { name: "01:00.0", drivers: [vfio-pci] }\n  - { name: "01:00.1", drivers: [e1000e], present: false }\ncontexts:\n  - { name: qemu, paths: [iommufd] }\nhotplug: true\n');
    const r = await run(['check', '--json', '--scenario-file', f]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).results[0]).toMatchObject({ scenario: 'my-group', variant: 'current', status: 'holds' });
  });

  it('an expected violation stated in the file is met by the flawed variant', async () => {
    const f = write('w4.json', JSON.stringify({ name: 'w4', devices: [{ name: 'a', drivers: ['idxd'], pasid: true }, { name: 'b', drivers: ['e1000e'] }], hotplug: true, variants: ['current', 'w4-sva-device-count'], expect: { 'w4-sva-device-count': ['I12'] } }));
    expect((await run(['check', '--scenario-file', f])).code).toBe(0);
  });

  it.each([
    ['a wrong field', 'bad.yaml', 'name: x\ndevices:\n  - { name: a, drivers: [no-such-driver] }\n', /bad\.yaml: devices\[0\]\.drivers\[0\]: .*e1000e/],
    ['an unknown key', 'extra.json', '{"name":"x","devices":[{"name":"a","drivers":["e1000e"]}],"colour":1}', /extra\.json: \(top level\): .*colour/],
    ['an empty file', 'empty.yaml', '', /empty\.yaml: the file is empty/],
    ['broken JSON', 'broken.json', '{"name":', /broken\.json: not valid JSON/],
    [
      'a declared symmetry between different devices',
      'sym.yaml',
      'name: x\ndevices:\n  - { name: a, drivers: [e1000e] }\n  - { name: b, drivers: [vfio-pci] }\nsymmetry: [[a, b]]\n',
      /sym\.yaml: symmetry\[0\]: a and b differ in more than their name .*expected names of interchangeable devices/,
    ],
    ['a declared symmetry naming no device', 'sym2.yaml', 'name: x\ndevices:\n  - { name: a, drivers: [e1000e] }\nsymmetry: [[a, c]]\n', /sym2\.yaml: symmetry\[0\]: c is not a device of the scenario/],
  ])('%s exits 2 with one line naming the file and field', async (_, name, text, re) => {
    const r = await run(['check', '--scenario-file', write(name, text)]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(re);
  });

  it('a missing file exits 2 and writes nothing', async () => {
    const dir = join(tmp(), 'never');
    const r = await run(['check', '--scenario-file', '/no/such/file.yaml', '--out', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\/no\/such\/file\.yaml: cannot read the file \(no such file\)/);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('iommu-mc list and --help', () => {
  it.each(['check', 'list', 'diff', 'docs', 'topology', 'simulate'])('%s with an unknown option is bad usage: exit 2', async (cmd) => {
    const r = await run([cmd, '--no-such-option']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--no-such-option'/);
  });

  it('list --json names every scenario, variant and invariant', async () => {
    const j = JSON.parse((await run(['list', '--json'])).stdout);
    expect(j.invariants[0].id).toBe('TypeOK');
    expect(j.variants.map((v: { name: string }) => v.name)).toContain('w5-singleton-lockdown');
  });

  it.each([['check'], ['list'], ['topology']])('%s --help exits 0', async (cmd) => {
    const r = await run([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: iommu-mc/);
  });
});

describe('the iommu-mc process', () => {
  it('the bin starts, prints its version and the pinned kernel, and exits 0 (a real process)', () => {
    const r = cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^iommu-mc \d+\.\d+\.\d+\nmodel of Linux .*: gregkh\/linux at [0-9a-f]{40}\n$/);
  });

  it('a bad option in a real process is exit 2 with the usage hint', () => {
    const r = cli(['check', '--scenario', 'no-such-thing']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
