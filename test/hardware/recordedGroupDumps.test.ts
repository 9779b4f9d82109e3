/**
 * Every real root lspci dump that records `IOMMU group:` lines (provenance in each fixture's
 * # header) must give, through parseLspci + pci_device_group (drivers/iommu/iommu.c), the same
 * partition of devices the kernel recorded. Devices the kernel gave no group (the AMD root
 * complex and IOMMU functions, Arm functions no driver was bound to) are not compared.
 */
import { describe, expect, it } from 'vitest';
import { compareGroupings, deriveGroups, getDevice, mismatchedDevices, pciAcsEnabled, recordedIdsOfGroups, REQ_ACS_FLAGS } from '../../src/hardware/index.ts';
import { loadLspciFixture } from './helpers.ts';

/** fixture, devices in the dump, recorded groups: the table in docs/hardware.md. */
const MATCHING_DUMPS: readonly [string, number, number][] = [
  ['imac-cometlake-titanridge.nnvvv.txt', 33, 21],
  ['asus-b350-ryzen-promontory.kvv.txt', 39, 21],
  ['thinkpad-e15g3-renoir.vvv.txt', 29, 11],
  ['nxp-ls1028a-enetc.vvv.txt', 8, 4],
  ['qcom-sc7280-nvme.vvv.txt', 2, 1],
];

describe.each(MATCHING_DUMPS)('pci_device_group on %s', (file, devices, groups) => {
  const dump = loadLspciFixture(file);
  it(`derives the recorded IOMMU groups (${devices} devices, ${groups} recorded groups), every ACS line readable`, () => {
    expect(dump.topology.devices).toHaveLength(devices);
    expect(dump.recordedGroups).toHaveLength(groups);
    expect(dump.unknownAcs).toEqual([]);
    expect(compareGroupings(deriveGroups(dump.topology), dump.recordedGroups!)).toEqual({ matches: true, differences: [] });
  });
});

describe('ThinkPad E15 Gen 3, AMD Renoir (lspci -vvv as root, format=flowed mail unwrapped)', () => {
  const dump = loadLspciFixture('thinkpad-e15g3-renoir.vvv.txt');
  const g = deriveGroups(dump.topology);

  it('pci_acs_path_enabled holds at the GPP root ports 00:02.1-3 (SV+RR+CR+UF enabled): each NVMe/NIC/Wi-Fi endpoint gets a group of its own', () => {
    for (const rp of ['00:02.1', '00:02.2', '00:02.3']) expect(pciAcsEnabled(dump.topology, getDevice(dump.topology, rp), REQ_ACS_FLAGS)).toBe(true);
    expect(new Set(['01:00.0', '02:00.0', '03:00.0'].map((d) => g.groupOf[d])).size).toBe(3);
  });

  it('the internal GPP bridge 00:08.1 has no ACS capability, so the whole APU bus 04 (GPU, HDMI audio, PSP, xHCI x2, ACP, HDA) joins group 5 with the multifunction slot 00:08.x', () => {
    expect(getDevice(dump.topology, '00:08.1').acs).toBeNull();
    expect(dump.recordedGroups!.find((r) => r.id === 5)!.devices).toEqual(['00:08.0', '00:08.1', '04:00.0', '04:00.1', '04:00.2', '04:00.3', '04:00.4', '04:00.5', '04:00.6']);
    expect(g.why['04:00.0']).toMatch(/00:08\.1/);
  });
});

describe('NXP LS1028A ENETC (root complex integrated endpoints, Arm SMMU, lspci -vvv as root)', () => {
  const dump = loadLspciFixture('nxp-ls1028a-enetc.vvv.txt');
  const t = dump.topology;

  it('the RCiEP functions are multifunction with an ACS capability that implements no bit; pci_acs_flags_enabled treats every required flag as hard-wired, so each function is isolated', () => {
    expect(getDevice(t, '00:00.2')).toMatchObject({ kind: 'rc_endpoint', multifunction: true, acs: { cap: 0, ctrl: 0 } });
    expect(pciAcsEnabled(t, getDevice(t, '00:00.2'), REQ_ACS_FLAGS)).toBe(true);
    expect(getDevice(t, '00:1f.0').kind).toBe('rc_event_collector');
  });

  it('only functions with a bound driver have a recorded group (of_dma_configure runs at probe); those four are four groups', () => {
    expect(dump.recordedGroups!.map((r) => r.devices)).toEqual([['00:00.5'], ['00:00.2'], ['00:00.3'], ['00:00.4']]);
  });
});

describe('Qualcomm sc7280 with a KIOXIA NVMe (Arm SMMU, lspci -vvv as root, all on PCI segment 0001)', () => {
  const dump = loadLspciFixture('qcom-sc7280-nvme.vvv.txt');
  const t = dump.topology;

  it('models the dump\'s one segment (0001) without warnings', () => {
    expect(dump.warnings.filter((w) => /segment/.test(w))).toEqual([]);
    expect(t.devices.map((d) => d.bdf)).toEqual(['00:00.0', '01:00.0']);
  });

  it('pci_device_group: the root port has no ACS capability, so pci_acs_path_enabled fails there and the NVMe joins the root port\'s group', () => {
    expect(getDevice(t, '00:00.0')).toMatchObject({ kind: 'root_port', acs: null });
    expect(pciAcsEnabled(t, getDevice(t, '00:00.0'), REQ_ACS_FLAGS)).toBe(false);
    const g = deriveGroups(t);
    expect(g.groupOf['01:00.0']).toBe(g.groupOf['00:00.0']);
    expect(g.why['01:00.0']).toMatch(/00:00\.0/);
  });
});

describe('group numbers: the kernel numbers IOMMU groups in its own probe order', () => {
  const dump = loadLspciFixture('asus-b350-ryzen-promontory.kvv.txt');
  const g = deriveGroups(dump.topology);

  it('ASUS B350: every derived group but the root complex one (00:00.0, 00:00.2: no recorded group) is a recorded group under a number one lower', () => {
    const ids = recordedIdsOfGroups(g, dump.recordedGroups!);
    expect(Object.keys(ids)).toHaveLength(21);
    expect(ids[0]).toBeUndefined();
    for (const [derived, recorded] of Object.entries(ids)) expect(recorded).toBe(Number(derived) - 1);
    expect(mismatchedDevices(g, dump.recordedGroups!)).toEqual([]);
  });
});
