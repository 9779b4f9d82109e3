/** `check --scenario-file` on a machine and a plan: the lspci dump is read relative to the scenario file. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/cli.ts';

const FIXTURE = join(import.meta.dirname, '../fixtures/scenarios/gpu-to-vm.yaml');

describe('check --scenario-file with a topology and a plan', { timeout: 30_000 }, () => {
  it('a GPU of a real lspci dump handed to a VM holds, and the report names its group and what is not judged', async () => {
    const r = await run(['check', '--scenario-file', FIXTURE]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/gpu-to-vm: topology .*asus-b350-ryzen-promontory\.kvv\.txt, grouping mainline/);
    expect(r.stdout).toMatch(/group \d+: 08:00\.0 \(vfio-pci\), 08:00\.1 \(vfio-pci or e1000e\)/);
    expect(r.stdout).toMatch(/Not judged[\s\S]*UNMAP on 1 scenario \(gpu-to-vm\): the scenario sets no IOTLB invalidation mode/);
  });

  it('--json lists the judged invariants, the not judged ones with why, and the groups', async () => {
    const j = JSON.parse((await run(['check', '--json', '--scenario-file', FIXTURE])).stdout);
    const r = j.results[0];
    expect(r.judged).toEqual(expect.arrayContaining(['P2P', 'RID', 'I1']));
    expect(r.notJudged.map((n: { id: string }) => n.id)).toEqual(['I11', 'I12', 'I15', 'I20', 'UNMAP', 'STALE', 'STALE-UNTRUSTED', 'SUBPAGE', 'ATS-TRUST', 'INV-ORDER', 'PASID-REUSE', 'MSI', 'VDEVICE', 'FAULTQ', 'BAR', 'SNOOP', 'RESV', 'RESET-OWNED', 'REC']);
    expect(r.groups.rule).toBe('mainline');
    expect(r.groups.groups[0].devices.map((d: { name: string }) => d.name)).toEqual(['08:00.0', '08:00.1']);
  });

  it('a dump that fails to parse is exit 2 with one line naming the scenario file and the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iommu-mc-plan-'));
    writeFileSync(join(dir, 'dump.txt'), 'not lspci\n');
    writeFileSync(join(dir, 's.yaml'), 'name: s\ntopology: dump.txt\nplan:\n  "01:00.0": { drivers: [vfio-pci] }\n');
    const r = await run(['check', '--scenario-file', join(dir, 's.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/s\.yaml: topology: .*dump\.txt: .*expected lspci -vvv output/);
  });

  it('a scenario file without a topology still runs, and P2P and RID are reported not judged with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iommu-mc-plan-'));
    writeFileSync(join(dir, 'old.yaml'), 'name: old\ndevices:\n  - { name: "01:00.0", drivers: [vfio-pci] }\n  - { name: "01:00.1", drivers: [pci-stub] }\ncontexts:\n  - { name: q, paths: [vfio-group] }\n');
    const r = await run(['check', '--scenario-file', join(dir, 'old.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/P2P on 1 scenario \(old\): the scenario names no topology/);
    expect(r.stdout).toMatch(/RID on 1 scenario \(old\): the scenario names no topology/);
  });
});
