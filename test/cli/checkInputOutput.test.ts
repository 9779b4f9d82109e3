/**
 * `check` with awkward inputs and outputs, run in-process: output paths checked before the
 * exploration, the report printed before a write error, --out holding the last run only, writes
 * of regular files only, repeated and empty options, strict numbers, inputs that are not regular
 * files, YAML that would print warnings.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/cli.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'iommu-mc-io-'));
const tree = (dir: string) => readdirSync(dir, { recursive: true }).map(String).sort();
const lines = (s: string) => s.trim().split('\n');

/** A two-device group: w1-vfio-viability breaks WARN, I1, I3, I4 on it (four traces); current holds. */
const GPU_AUDIO = 'name: gpu-audio\ndevices:\n  - { name: "01:00.0", drivers: [vfio-pci] }\n  - { name: "01:00.1", drivers: [e1000e, vfio-pci] }\ncontexts:\n  - { name: qemu, paths: [iommufd, vfio-group] }\nvariants: [current, w1-vfio-viability]\nexpect: { current: holds, w1-vfio-viability: [WARN, I1, I3, I4] }\n';
const scenarioFile = (text = GPU_AUDIO, name = 'gpu-audio.yaml') => {
  const f = join(tmp(), name);
  writeFileSync(f, text);
  return f;
};
const W1_TRACES = ['gpu-audio/w1-vfio-viability/I1.txt', 'gpu-audio/w1-vfio-viability/I3.txt', 'gpu-audio/w1-vfio-viability/I4.txt', 'gpu-audio/w1-vfio-viability/WARN.txt'];

describe('--out and --write-manifest', () => {
  it('a trace path that is a directory: the report first, then one line, exit 2; nothing half-written', async () => {
    const out = tmp();
    mkdirSync(join(out, 'gpu-audio/w1-vfio-viability/I3.txt'), { recursive: true });
    writeFileSync(join(out, 'iommu-mc-out.json'), '{"writtenBy": "iommu-mc", "files": []}\n');
    const r = await run(['check', '--scenario-file', scenarioFile(), '--out', out, '--traces', 'none']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/2 checks: 2 as expected/);
    expect(lines(r.stderr)).toEqual([`iommu-mc: ${join(out, 'gpu-audio/w1-vfio-viability/I3.txt')}: cannot write the file (it is a directory); expected a regular file or no file`]);
    expect(tree(out)).toEqual(['gpu-audio', 'gpu-audio/w1-vfio-viability', 'gpu-audio/w1-vfio-viability/I3.txt', 'iommu-mc-out.json']);
  });

  it('with --json, a write error after the run leaves stdout one JSON object (the error)', async () => {
    const out = tmp();
    mkdirSync(join(out, 'gpu-audio/w1-vfio-viability/I3.txt'), { recursive: true });
    writeFileSync(join(out, 'iommu-mc-out.json'), '{"writtenBy": "iommu-mc", "files": []}\n');
    const r = await run(['check', '--json', '--scenario-file', scenarioFile(), '--out', out]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, exitCode: 2, error: expect.stringMatching(/I3\.txt: cannot write the file \(it is a directory\)/) });
  });

  it.each([
    ['--write-manifest naming a directory', (d: string) => ['--write-manifest', d], 'cannot write the file (it is a directory)'],
    ['--write-manifest naming a symlink', (d: string) => ['--write-manifest', join(d, 'link.json')], 'cannot write the file (it is a symbolic link)'],
    ['--out below a regular file', (d: string) => ['--out', join(d, 'a-file/out')], 'cannot create the output directory'],
    ['--write-manifest below a regular file', (d: string) => ['--write-manifest', join(d, 'a-file/m.json')], 'cannot write the file (a parent is not a directory)'],
    ['--out naming a directory of someone else\'s', (d: string) => ['--out', d], 'the directory is not empty and was not written by iommu-mc'],
  ])('%s is refused before exploring: exit 2, one line, no report', async (_what, args, message) => {
    const dir = tmp();
    writeFileSync(join(dir, 'a-file'), 'mine');
    symlinkSync(join(dir, 'a-file'), join(dir, 'link.json'));
    const r = await run(['check', '--scenario', 'vfio-vs-dma-api', '--variant', 'current', ...args(dir)]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(message);
    expect(tree(dir)).toEqual(['a-file', 'link.json']);
    expect(readlinkSync(join(dir, 'link.json'))).toBe(join(dir, 'a-file'));
  });

  it('a second run removes the traces of the first that it does not write again; "no counterexamples" when none', async () => {
    const out = join(tmp(), 'traces');
    const file = scenarioFile();
    const first = await run(['check', '--scenario-file', file, '--out', out, '--traces', 'none']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`Traces written to ${out} (4 files)`);
    expect(tree(out)).toEqual(['gpu-audio', 'gpu-audio/w1-vfio-viability', ...W1_TRACES, 'iommu-mc-out.json'].sort());
    const second = await run(['check', '--scenario-file', file, '--variant', 'current', '--out', out, '--traces', 'none']);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`--out ${out}: no counterexamples to write; removed 4 files of an earlier run`);
    expect(second.stdout).not.toContain('Traces written');
    expect(tree(out)).toEqual(['iommu-mc-out.json']);
  });

  it('a run with no counterexamples does not create the --out directory', async () => {
    const out = join(tmp(), 'never');
    const r = await run(['check', '--scenario-file', scenarioFile(), '--variant', 'current', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`--out ${out}: no counterexamples to write`);
    expect(existsSync(out)).toBe(false);
  });

  it('--write-manifest writes a regular file in place of a regular file', async () => {
    const manifest = join(tmp(), 'm.json');
    writeFileSync(manifest, 'old');
    const r = await run(['check', '--scenario', 'vfio-vs-dma-api', '--variant', 'current', '--no-symmetry', '--write-manifest', manifest, '--traces', 'none']);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(manifest, 'utf8')).entries[0]).toMatchObject({ scenario: 'vfio-vs-dma-api', variant: 'current' });
  });
});

describe('repeated and empty options', () => {
  it('--scenario "" is bad usage, not a run of everything', async () => {
    const r = await run(['check', '--scenario', '']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual(['iommu-mc: --scenario: expected a scenario name, got an empty string']);
  });

  it('a scenario or variant named twice runs once', async () => {
    const r = await run(['check', '--json', '--scenario', 'vfio-vs-dma-api,vfio-vs-dma-api', '--variant', 'current', '--variant', 'current']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).results).toHaveLength(1);
  });

  it('--scenario-file is repeatable: each file\'s checks, in order; the same file twice runs once', async () => {
    const a = scenarioFile();
    const b = scenarioFile('name: nic\ndevices:\n  - { name: "02:00.0", drivers: [e1000e, vfio-pci] }\n', 'nic.yaml');
    const r = await run(['check', '--json', '--scenario-file', a, '--scenario-file', b, '--scenario-file', a]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).results.map((x: { scenario: string; variant: string }) => `${x.scenario} ${x.variant}`)).toEqual(['gpu-audio current', 'gpu-audio w1-vfio-viability', 'nic current']);
    const text = await run(['check', '--scenario-file', a, '--scenario-file', b, '--traces', 'none']);
    expect(text.stdout).toMatch(/^gpu-audio: no topology[^]*\n\nnic: no topology/);
  });

  it('two scenario files naming the same scenario: one line, exit 2', async () => {
    const a = scenarioFile();
    const b = scenarioFile(GPU_AUDIO, 'copy.yaml');
    const r = await run(['check', '--scenario-file', a, '--scenario-file', b]);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([`iommu-mc: ${b}: name: "gpu-audio" is also the name of the scenario in ${a}; expected a distinct name per scenario file`]);
  });

  it.each(['0x10', '1e3', ' 5', '5 ', '+5', '.5', 'Infinity'])('--max-seconds and --max-memory refuse "%s"', async (v) => {
    for (const flag of ['--max-seconds', '--max-memory']) {
      const r = await run(['check', '--scenario', 'vfio-vs-dma-api', flag, v]);
      expect(r.code).toBe(2);
      expect(lines(r.stderr)).toEqual([`iommu-mc: ${flag}: expected a positive number, got "${v}"`]);
    }
  });

  it('--max-seconds takes a plain decimal such as 1.5', async () => {
    expect((await run(['check', '--scenario', 'vfio-vs-dma-api', '--variant', 'current', '--max-seconds', '1.5', '--max-memory', '4096'])).code).toBe(0);
  });
});

describe('scenario files that are not plain text files', () => {
  it('a FIFO and /dev/zero are refused at once, in one line', async () => {
    const fifo = join(tmp(), 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    for (const [file, what] of [[fifo, 'a FIFO (named pipe)'], ['/dev/zero', 'a device']] as const) {
      const r = await run(['check', '--scenario-file', file]);
      expect(r.code).toBe(2);
      expect(lines(r.stderr)).toEqual([`iommu-mc: ${file}: cannot read the file (it is ${what}; expected a regular file)`]);
    }
  });

  it('a YAML tag such as !!js/function is one stderr line (no YAMLWarning)', async () => {
    const r = await run(['check', '--scenario-file', scenarioFile('name: t\ndescription: !!js/function "function () {}"\ndevices:\n  - { name: a, drivers: [vfio-pci] }\n')]);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/not valid YAML: Unresolved tag: tag:yaml\.org,2002:js\/function at line 2, column 14/);
  });

  it('a UTF-16 scenario file gets a hint', async () => {
    const f = join(tmp(), 'u16.yaml');
    writeFileSync(f, Buffer.from(`\uFEFF${GPU_AUDIO}`, 'utf16le'));
    const r = await run(['check', '--scenario-file', f]);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([`iommu-mc: ${f}: the file is UTF-16; save it as UTF-8`]);
  });
});
