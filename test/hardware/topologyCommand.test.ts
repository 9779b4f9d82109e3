/** `iommu-mc topology` end to end (spawns bin/iommu-mc.mjs): output, --json shape, exit codes. */
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = new URL('../../bin/iommu-mc.mjs', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'topology', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

describe('iommu-mc topology', () => {
  it('prints the tree, groups, I13 and the reachability matrix of a builtin', () => {
    const r = run('switch-no-acs');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('derived IOMMU groups (pci_device_group)');
    expect(r.stdout).toContain('I13 broken: 03:00.0');
    expect(r.stdout).toContain('03:00.0 -> 04:00.0: 03:00.0 -> 02:08.0 -> 02:10.0 -> 04:00.0');
  }, 20000);
  it('--json has groups, recordedGroups and matchesRecorded', () => {
    const r = run('--json', 'switch-acs');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.groups[0]).toEqual({ id: 0, devices: ['00:01.0'] });
    expect(j.recordedGroups).toBeNull();
    expect(j.matchesRecorded).toBeNull();
    expect(j.groupingSoundness).toBeNull();
  }, 20000);
  it('--lspci compares with the recorded groups', () => {
    const r = run('--lspci', '--json', new URL('../fixtures/lspci/imac-cometlake-titanridge.nnvvv.txt', import.meta.url).pathname);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).matchesRecorded).toBe(true);
  }, 20000);
  it('a missing file, an empty file and a wrong field exit 2 with one line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imc-'));
    const empty = join(dir, 'empty.yaml');
    writeFileSync(empty, '');
    const bad = new URL('../fixtures/topologies/bad-acs.yaml', import.meta.url).pathname;
    for (const [arg, text] of [
      [join(dir, 'nope.json'), 'expected a readable file or a builtin topology name'],
      [empty, 'expected a topology document, got an empty file'],
      [bad, 'switches[0].ports[1].acs.ctrl[1]: expected one of SV, TB, RR, CR, UF, EC, DT, got "XX"'],
    ] as const) {
      const r = run(arg);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(text);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  }, 30000);
});
