/**
 * What a run tells its user beyond the table: the rows that mismatch and the line to write, a
 * run cut short after an unexpected violation, checks that exercised nothing, progress in a CI
 * log, more --workers than cores, and Ctrl-C.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startProgress } from '../../src/cli/progress.ts';
import { BIN, run } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'iommu-mc-report-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const gpuAudio = file(
  'gpu-audio.yaml',
  'name: gpu-audio\ndevices:\n  - { name: "01:00.0", drivers: [vfio-pci] }\n  - { name: "01:00.1", drivers: [e1000e, vfio-pci] }\ncontexts:\n  - { name: qemu, paths: [iommufd, vfio-group] }\nvariants: [current, w1-vfio-viability]\nexpect: { current: holds }\n',
);

describe('the end of a check report', () => {
  it('a mismatch is named with what was found, what was expected and the expect: line to write', async () => {
    const r = await run(['check', '--scenario-file', gpuAudio, '--traces', 'none']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Mismatches:\n {2}gpu-audio × w1-vfio-viability: found violated WARN,I1,I3,I4, expected holds; .*write `w1-vfio-viability: \[WARN, I1, I3, I4\]` under `expect:`/);
    expect(r.stdout).toMatch(/2 checks: 1 as expected .*; 1 mismatch; 0 incomplete/);
  });

  it('an unexpected violation found before --max-states cut the run short is a mismatch, marked as cut short (exit 1)', async () => {
    const r = await run(['check', '--scenario-file', gpuAudio, '--variant', 'w1-vfio-viability', '--max-states', '40', '--traces', 'none']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✗ violated [A-Z0-9,]+ \(cut short: max-states\)/);
    expect(r.stdout).toMatch(/1 check: 0 as expected .*; 1 mismatch; 0 incomplete/);
    expect(r.stdout).toMatch(/before a bound cut the run short: max-states/);
  });

  it('a check in which no call was ever possible is flagged as vacuous', async () => {
    const f = file('vacuous.yaml', 'name: vacuous\ndevices:\n  - { name: "01:00.0", drivers: [vfio-pci], present: false }\nhotplug: false\n');
    const r = await run(['check', '--scenario-file', f, '--traces', 'none']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Warnings .*\n {2}vacuous × current: no kernel call was ever possible \(0 transitions\): the verdict is vacuous/);
    const j = JSON.parse((await run(['check', '--scenario-file', f, '--json'])).stdout);
    expect(j.results[0].warnings).toHaveLength(1);
  });

  it('a context whose first call never succeeds is flagged: nothing reached user space on that path', async () => {
    const f = file('stuck.yaml', 'name: stuck\ndevices:\n  - { name: "01:00.0", drivers: [e1000e] }\ncontexts:\n  - { name: qemu, paths: [iommufd] }\n');
    const r = await run(['check', '--scenario-file', f, '--traces', 'none']);
    expect(r.stdout).toMatch(/context qemu never took a device on its iommufd path: vfio_df_ioctl_bind_iommufd (it was never possible|it failed every time)/);
  });

  it('a context the scenario expects the kernel to refuse (expectRefused) is no warning while refused, and is one when it gets a device', async () => {
    const refused = await run(['check', '--scenario', 'msi-no-remapping', '--variant', 'current', '--traces', 'none']);
    expect(refused.code).toBe(0);
    expect(refused.stdout).not.toMatch(/Warnings/);
    const f = file('taken.yaml', 'name: taken\ndevices:\n  - { name: "01:00.0", drivers: [vfio-pci] }\ncontexts:\n  - { name: qemu, paths: [vfio-group, iommufd], expectRefused: true }\n');
    const taken = await run(['check', '--scenario-file', f, '--traces', 'none']);
    expect(taken.stdout).toMatch(/context qemu is expected to be refused \(expectRefused\) but got a device on its vfio-group path: vfio_group_ioctl_get_device_fd succeeded/);
    expect(taken.stdout).toMatch(/but got a device on its iommufd path: vfio_df_ioctl_bind_iommufd succeeded/);
  });

  it('expectRefused must be a boolean: a located one-line error, exit 2', async () => {
    const f = file('bad.yaml', 'name: bad\ndevices:\n  - { name: "01:00.0", drivers: [vfio-pci] }\ncontexts:\n  - { name: qemu, paths: [iommufd], expectRefused: maybe }\n');
    const r = await run(['check', '--scenario-file', f]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bad\.yaml: contexts\[0\]\.expectRefused: /);
  });

  it('more --workers than cores warns and uses the cores', async () => {
    const r = await run(['check', '--scenario', 'probe-failure', '--variant', 'current', '--workers', '256', '--traces', 'none']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: --workers 256 is more than the \d+ cores here; using \d+/);
  });
});

describe('progress', () => {
  it('off a terminal, a heartbeat line per interval names the check, its share of --max-states and the resident memory', () => {
    const lines: string[] = [];
    const p = startProgress(2, true, { tty: false, heartbeat: 10, maxStates: 1000, write: (s) => lines.push(s) });
    p.job('a × current');
    p.states({ states: 100, transitions: 0, queue: 5, depth: 2, seconds: 5 });
    expect(lines).toEqual([]);
    p.states({ states: 500, transitions: 0, queue: 5, depth: 3, seconds: 11 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^iommu-mc: \[1\/2\] a × current: 500 states \(50% of --max-states\), \d+\/s, queue 5, depth 3, [\d,]+ MiB resident, 11 s\n$/);
    p.states({ states: 600, transitions: 0, queue: 5, depth: 3, seconds: 15 });
    expect(lines).toHaveLength(1);
    expect(p.where()).toMatchObject({ label: 'a × current', finished: 0 });
  });
});

describe('Ctrl-C', () => {
  it('SIGINT during a long check exits 130 with where it was, and prints no report', async () => {
    const devices = Array.from({ length: 8 }, (_, i) => `  - { name: "10:00.${i}", drivers: [e1000e, vfio-pci, pci-stub] }`).join('\n');
    const big = file('big.yaml', `name: big\ndevices:\n${devices}\ncontexts:\n  - { name: a, paths: [vfio-group] }\n  - { name: b, paths: [iommufd] }\n`);
    const child = spawn(process.execPath, [BIN, 'check', '--scenario-file', big, '--no-symmetry', '--heartbeat', '0.2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    // Interrupt once exploring is under way: at its first heartbeat line (no clock in the test).
    let sent = false;
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!sent && /states/.test(stderr)) sent = child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect({ code, stderr }).toMatchObject({ code: 130 });
    expect(stderr).toMatch(/iommu-mc: interrupted after [\d,]+ states of big × current \(0 of 1 checks finished\); no report and no files were written/);
    expect(stdout).toBe('');
  });
});

describe('on a terminal', () => {
  const hasScript = (() => {
    try {
      execFileSync('sh', ['-c', 'command -v script'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!hasScript)('the progress bar leaves the cursor and line wrap as they were, even when a bound ends the run', () => {
    const devices = Array.from({ length: 8 }, (_, i) => `  - { name: "10:00.${i}", drivers: [e1000e, vfio-pci, pci-stub] }`).join('\n');
    const big = file('tty.yaml', `name: tty\ndevices:\n${devices}\ncontexts:\n  - { name: a, paths: [vfio-group] }\n`);
    const log = join(dir, 'tty.log');
    // script(1) gives the CLI a pseudo-terminal; its log is every byte the CLI wrote to it.
    const r = spawnSync('script', ['-q', '-e', '-c', `${process.execPath} ${BIN} check --scenario-file ${big} --no-symmetry --max-states 150000`, log], { stdio: 'ignore', env: { ...process.env, CI: '' } });
    expect(r.status).toBe(3); // incomplete: --max-states ended the run
    const bytes = readFileSync(log, 'utf8');
    expect(bytes).toMatch(/checks \|/);
    expect(bytes).not.toContain('\u001b[?25l');
    expect(bytes).not.toContain('\u001b[?7l');
  });
});
