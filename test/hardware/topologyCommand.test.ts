/**
 * `iommu-mc topology` end to end (the CLI in-process): output, --json shape, exit codes
 * (0: I13 holds and the groups equal the recorded ones; 1: I13 broken or the groups differ; 2: bad input).
 */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as runCli } from '../helpers/cli.ts';
import { getBuiltinTopology } from '../../src/hardware/index.ts';
import { buildTopologyReport } from '../../src/report/topology.ts';

/** `iommu-mc topology ARGS`, run in-process (test/helpers/cli.ts): exit status, stdout, stderr. */
const run = async (...args: string[]) => {
  const r = await runCli(['topology', ...args]);
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
};

describe('iommu-mc topology', () => {
  it('switch-no-acs: mainline pci_device_group gives each downstream port its own group though the endpoints reach each other peer-to-peer, so I13 breaks and topology exits 1', async () => {
    const r = await run('switch-no-acs');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('derived IOMMU groups (pci_device_group)');
    expect(r.stdout).toContain('I13 broken: 03:00.0');
    expect(r.stdout).toContain('03:00.0 -> 04:00.0: 03:00.0 -> 02:08.0 -> 02:10.0 -> 04:00.0');
    expect(r.stdout).toContain('verdict: I13 broken');
  }, 20000);
  it('switch-no-acs-sv: groups are sound (peer requests go to the IOMMU) but each NIC can forge the other\'s requester ID, which the report lists without failing the exit code', async () => {
    const r = await run('switch-no-acs-sv');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/03:00\.0 can emit 04:00\.0 \(forged\), 04:00\.0's: no ACS SV at 02:08\.0/);
    const j = JSON.parse((await run('switch-no-acs-sv', '--json')).stdout);
    expect(j.ridCrossings.filter((c: { from: string }) => c.from === '03:00.0').map((c: { rid: string }) => c.rid)).toEqual(['01:00.0', '02:10.0', '04:00.0']);
    expect(JSON.parse((await run('switch-acs', '--json')).stdout).ridCrossings).toEqual([]);
  }, 30000);

  it('switch-acs --json: pci_acs_path_enabled holds, I13 holds, exit 0; groups carry recordedId null when nothing was recorded', async () => {
    const r = await run('--json', 'switch-acs');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.groups[0]).toEqual({ id: 0, devices: ['00:01.0'], recordedId: null });
    expect(j.recordedGroups).toBeNull();
    expect(j.matchesRecorded).toBeNull();
    expect(j.groupingSoundness).toBeNull();
    expect(j.grouping).toEqual({ rule: 'mainline', assumeNoLoopbackWithoutAcsCap: null, assumptionUsed: null, busIsolation: null });
    expect(j.verdict).toEqual({ ok: true, reasons: [] });
  }, 20000);
  it('multifunction-no-acs: a peer-internal route (no ACS RR inside the device) prints its source function once', async () => {
    const r = await run('multifunction-no-acs');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('01:00.0 -> 01:00.1: 01:00.0 -> 01:00.1');
    expect(r.stdout).not.toContain('01:00.0 -> 01:00.0');
  }, 20000);
  it('--lspci on the iMac dump: the groups equal the recorded IOMMU groups, numbered alike, exit 0', async () => {
    const r = await run('--lspci', '--json', new URL('../fixtures/lspci/imac-cometlake-titanridge.nnvvv.txt', import.meta.url).pathname);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.matchesRecorded).toBe(true);
    expect(j.groups.every((g: { id: number; recordedId: number }) => g.recordedId === g.id)).toBe(true);
  }, 20000);
  it('--lspci on the ASUS B350 dump: same groups under other numbers (the kernel gave the AMD root complex and IOMMU 00:00.x no group), so the recorded number is printed beside the derived one', async () => {
    const r = await run('--lspci', new URL('../fixtures/lspci/asus-b350-ryzen-promontory.kvv.txt', import.meta.url).pathname);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('derived grouping matches the recorded one: the same devices share a group; the numbers differ');
    expect(r.stdout).toContain('group 14 (recorded group 13): 01:00.0');
    expect(r.stdout).toContain('05:00.0: ID 1b21:1080 read from its name');
  }, 20000);
  it('--lspci on the MSI Z370 dump without root: the groups differ from the record (exit 1) and the report names the ACS assumptions that reproduce it', async () => {
    const file = new URL('../fixtures/lspci/msi-z370-coffeelake.vvn-nonroot.txt', import.meta.url).pathname;
    const r = await run('--lspci', '--json', file);
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.acsInference).toMatchObject({ reproduced: true, isolating: ['00:1b.4', '00:1c.3'], notIsolating: ['00:01.0', '03:00.0', '03:00.1'] });
    expect(j.verdict.reasons).toEqual(['the derived groups differ from the IOMMU groups the dump recorded']);
    const text = (await run('--lspci', file)).stdout;
    expect(text).toContain('isolating (ACS SV|RR|CR|UF enabled): 00:1b.4 00:1c.3');
  }, 30000);
  it('--grouping switch-groups: the v3 per-bus rule puts switch-no-acs below the upstream port in one group (I13 holds, exit 0) and reports assumeNoLoopbackWithoutAcsCap', async () => {
    const r = await run('--grouping', 'switch-groups', '--json', 'switch-no-acs');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.grouping).toMatchObject({ rule: 'switch-groups', assumeNoLoopbackWithoutAcsCap: true, assumptionUsed: false });
    expect(j.groupingSoundness).toBeNull();
  }, 20000);
  it('--grouping switch-groups on multifunction-no-acs: functions without an ACS capability are split only by the no-loopback assumption, I13 breaks, exit 1, and the text says the verdict depends on it', async () => {
    const r = await run('--grouping', 'switch-groups', 'multifunction-no-acs');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('assumeNoLoopbackWithoutAcsCap=true');
    expect(r.stdout).toContain('assumptionUsed: yes');
  }, 20000);
  it('an unknown --grouping value exits 2 with one line naming the option and the expected values', async () => {
    const r = await run('--grouping', 'acs-override', 'switch-acs');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--grouping: expected one of mainline, switch-groups, got "acs-override"');
  }, 20000);
  it('a missing file, an empty file and a wrong field exit 2 with one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imc-'));
    const empty = join(dir, 'empty.yaml');
    writeFileSync(empty, '');
    const bad = new URL('../fixtures/topologies/bad-acs.yaml', import.meta.url).pathname;
    for (const [arg, text] of [
      [join(dir, 'nope.json'), 'expected a readable file or a builtin topology name'],
      [empty, 'expected a topology document, got an empty file'],
      [bad, 'switches[0].ports[1].acs.ctrl[1]: expected one of SV, TB, RR, CR, UF, EC, DT, got "XX"'],
    ] as const) {
      const r = await run(arg);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(text);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  }, 30000);
  it('bad input found only while building the topology or reading a dump also exits 2 with one line: a parent cycle, two concatenated dumps, an lspci dump without --lspci', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imc-'));
    const cycle = join(dir, 'cycle.yaml');
    writeFileSync(cycle, 'name: c\nrootPorts: [{ name: rp0, bdf: "00:01.0" }]\nswitches:\n  - { name: sw0, parent: dp0, upstream: { bdf: "01:00.0" }, ports: [{ name: dp0, bdf: "02:00.0" }] }\n');
    const dump = new URL('../fixtures/lspci/thinkpad-e15g3-renoir.vvv.txt', import.meta.url).pathname;
    const twice = join(dir, 'twice.txt');
    writeFileSync(twice, readFileSync(dump, 'utf8').repeat(2));
    for (const [args, text] of [
      [[cycle], 'switches[0].parent: expected a parent that is not below this switch itself, got "dp0" (cycle sw0 -> dp0 -> sw0)'],
      [['--lspci', twice], 'expected each device address once (two dumps concatenated?), got 00:00.0 again (first at line 13)'],
      [[dump], '(root): expected a topology file (JSON or YAML), got what looks like lspci output ("00:00.0 Host bridge: Advanced Micro Devices, In..."): did you mean --lspci?'],
    ] as const) {
      const r = await run(...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(text);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  }, 40000);
  it('--lspci on a dump whose tabs became spaces prints the report of the tab original', async () => {
    const dump = new URL('../fixtures/lspci/thinkpad-e15g3-renoir.vvv.txt', import.meta.url).pathname;
    const spaces = join(mkdtempSync(join(tmpdir(), 'imc-')), 'thinkpad-e15g3-renoir.vvv.txt');
    writeFileSync(spaces, readFileSync(dump, 'utf8').replaceAll('\t', ' '.repeat(8)));
    const a = await run('--lspci', dump);
    const b = await run('--lspci', spaces);
    expect(b.status).toBe(a.status);
    expect(b.stdout.replaceAll(spaces, 'F')).toBe(a.stdout.replaceAll(dump, 'F'));
    expect(a.stdout).toContain('peer-to-peer path(s) that bypass the IOMMU');
  }, 30000);
  it('--json is written in pieces but is exactly JSON.stringify of the report', async () => {
    const r = await run('sriov-nic', '--json');
    expect(r.stdout).toBe(`${JSON.stringify(buildTopologyReport({ topology: getBuiltinTopology('sriov-nic')!, source: 'builtin', grouping: 'mainline' }), null, 2)}\n`);
  }, 20000);
});
