/**
 * More real lspci dumps (provenance in each fixture's # header). Where the dump records
 * `IOMMU group:` lines, the derived grouping must equal them; where it does not, the groups
 * asserted are derived by hand from the ACS lines and pci_device_group (said per test).
 */
import { describe, expect, it } from 'vitest';
import { compareGroupings, deriveGroups, getDevice, pciAcsEnabled, pciEnablePasid, REQ_ACS_FLAGS } from '../../src/hardware/index.ts';
import { loadLspciFixture } from './helpers.ts';
import { describeRoute } from '../../src/report/dmaRoute.ts';

const load = loadLspciFixture;

describe('ASUS PRIME B350-PLUS, Ryzen (Zen 1) + AMD 300-series chipset (lspci -kvv as root, with IOMMU groups)', () => {
  const dump = load('asus-b350-ryzen-promontory.kvv.txt');
  const g = deriveGroups(dump.topology);

  it('rebuilds the chipset: a multifunction device whose function 2 is a switch upstream port, three downstream ports, an ASM1083 PCIe-to-PCI bridge', () => {
    const t = dump.topology;
    expect(t.devices).toHaveLength(39);
    expect(dump.unknownAcs).toEqual([]);
    expect(getDevice(t, '02:00.2')).toMatchObject({ kind: 'upstream_port', multifunction: true, secondary: 0x03, subordinate: 0x07, acs: null });
    expect(getDevice(t, '03:01.0')).toMatchObject({ kind: 'downstream_port', acs: null });
    expect(getDevice(t, '05:00.0')).toMatchObject({ kind: 'pcie_to_pci_bridge', secondary: 0x06 });
    expect(getDevice(t, '08:00.0')).toMatchObject({ kind: 'legacy_endpoint', ats: true, pasid: true, multifunction: true });
    expect(getDevice(t, '00:14.3')).toMatchObject({ kind: 'pci_device', multifunction: true }); // Status: Cap-
  });

  it('reads ACS: CPU GPP root ports SV+RR+CR+UF enabled; internal GPP bridges implement only SV/TB; on-die functions have an empty ACS capability', () => {
    const t = dump.topology;
    expect(pciAcsEnabled(t, getDevice(t, '00:01.3'), REQ_ACS_FLAGS)).toBe(true);
    // pci_acs_flags_enabled only enforces the flags the capability implements: SV is enough here.
    expect(pciAcsEnabled(t, getDevice(t, '00:08.1'), REQ_ACS_FLAGS)).toBe(true);
    expect(getDevice(t, '0a:00.2').acs).toEqual({ cap: 0, ctrl: 0 });
    expect(pciAcsEnabled(t, getDevice(t, '0a:00.2'), REQ_ACS_FLAGS)).toBe(true);
  });

  it('the derived grouping equals the recorded IOMMU groups (21 groups)', () => {
    expect(compareGroupings(g, dump.recordedGroups!)).toEqual({ matches: true, differences: [] });
    expect(dump.recordedGroups).toHaveLength(21);
  });

  it('the whole chipset is one group (14): multifunction 02:00.x without ACS, and downstream ports without ACS below it', () => {
    const chipset = ['02:00.0', '02:00.1', '02:00.2', '03:00.0', '03:01.0', '03:04.0', '04:00.0', '05:00.0'];
    expect(dump.recordedGroups!.find((r) => r.id === 14)!.devices).toEqual(chipset);
    expect(new Set(chipset.map((d) => g.groupOf[d])).size).toBe(1);
    expect(g.why['04:00.0']).toMatch(/no ACS isolation on the path at 03:00.0/);
  });

  it('numbering: the kernel gives no group to the root complex 00:00.0 and the IOMMU 00:00.2; otherwise ids match shifted by one', () => {
    const recorded = new Set(dump.recordedGroups!.flatMap((r) => r.devices));
    expect(dump.topology.devices.filter((d) => !recorded.has(d.bdf)).map((d) => d.bdf)).toEqual(['00:00.0', '00:00.2']);
    expect(g.groups[0]!.devices).toEqual(['00:00.0', '00:00.2']);
    expect(g.groups.slice(1).map((x) => x.id - 1)).toEqual(dump.recordedGroups!.map((r) => r.id));
  });

  it('the RX 580 (ATS+PASID) cannot get PASID: its HDMI audio function shares the device without ACS', () => {
    expect(pciEnablePasid(dump.topology, [], '08:00.0')).toMatchObject({ ok: false, errno: 'EINVAL', reason: '08:00.0: ACS RR|UF not enabled on the path to the root (fails at 08:00.0)' });
    expect(describeRoute(dump.topology, '08:00.0', '08:00.1', true)).toBe(
      '08:00.0 [PASID 1] (multifunction, no ACS RR: routed inside the device) -> 08:00.1 BAR0 0xfce60000; IOMMU never sees it',
    );
  });
});

describe('Arm N1SDP with a PLX PEX 8749 switch (lspci -vvxxx as root, no IOMMU group lines: groups by hand)', () => {
  const dump = load('arm-n1sdp-plx8749.vvxxx.txt');
  const t = dump.topology;

  it('rebuilds the switch below the root port and skips PCI segment 0001 with a warning', () => {
    expect(t.devices).toHaveLength(15);
    expect(dump.recordedGroups).toBeNull();
    expect(dump.warnings[0]).toMatch(/0001:00:00\.0 is on PCI segment 0001/);
    expect(getDevice(t, '01:00.0')).toMatchObject({ kind: 'upstream_port', multifunction: true, secondary: 0x02, subordinate: 0x08 });
    expect(getDevice(t, '01:00.1')).toMatchObject({ kind: 'endpoint', multifunction: true });
    expect(getDevice(t, '02:13.0')).toMatchObject({ kind: 'downstream_port', secondary: 0x07 });
    expect(getDevice(t, '06:00.0')).toMatchObject({ kind: 'legacy_endpoint' });
  });

  it('the six downstream ports have ACS SV+RR+CR+UF enabled; the root port has no ACS capability', () => {
    for (const dp of ['02:08.0', '02:10.0', '02:11.0', '02:12.0', '02:13.0', '02:14.0']) expect(pciAcsEnabled(t, getDevice(t, dp), REQ_ACS_FLAGS)).toBe(true);
    expect(getDevice(t, '00:00.0').acs).toBeNull();
    expect(pciAcsEnabled(t, getDevice(t, '00:00.0'), REQ_ACS_FLAGS)).toBe(false);
  });

  it('by hand: one group for everything. pci_device_group walks up from each endpoint; pci_acs_path_enabled fails at the multifunction upstream port 01:00.0 (no ACS, pci_acs_enabled false for a multifunction function) and at the root port 00:00.0 (no ACS), so every device ends in the group of 00:00.0', () => {
    const g = deriveGroups(t);
    expect(g.groups).toHaveLength(1);
    expect(g.groups[0]!.devices).toHaveLength(15);
    expect(g.why['06:00.0']).toMatch(/no ACS isolation on the path at 02:12\.0/);
    expect(g.why['02:12.0']).toMatch(/no ACS isolation on the path at 01:00\.0/);
    expect(g.why['01:00.0']).toMatch(/no ACS isolation on the path at 00:00\.0/);
  });

  it('why one group is right (model routing): the switch redirects peer requests upstream, but the root port without ACS UF sends them back down', () => {
    expect(describeRoute(t, '07:00.0', '08:00.0', false)).toBe(
      '07:00.0 -> 02:13.0 (DSP, ACS RR: redirected upstream) -> 01:00.0 (USP, forwarded upstream) -> 00:00.0 (RP, no ACS UF: sent back down) -> 01:00.0 (USP, down its window) -> 02:14.0 (DSP, down its window) -> 08:00.0 BAR0 0x71800000; IOMMU never sees it',
    );
  });
});

describe('Hygon root port before and after a D3->D0 cycle (two lspci -s 01.1 -vvv dumps, no IOMMU group lines)', () => {
  const before = load('hygon-rootport-d0.vvv.txt');
  const after = load('hygon-rootport-after-d3.vvv.txt');

  it('reads the same ACS capability; after D3 the control register has only SrcValid left (RR, CR, UF lost)', () => {
    expect(before.topology.devices).toHaveLength(1);
    expect(getDevice(before.topology, '00:01.1')).toMatchObject({ kind: 'root_port', acs: { cap: 0x5f, ctrl: 0x1d } });
    expect(getDevice(after.topology, '00:01.1')).toMatchObject({ kind: 'root_port', acs: { cap: 0x5f, ctrl: 0x01 } });
  });

  it('by hand: a lone root port is its own group in both; but pci_acs_enabled(REQ_ACS_FLAGS) turns false after D3, so devices hot-added below it would join its group instead of getting their own', () => {
    for (const d of [before, after]) expect(deriveGroups(d.topology).groups).toEqual([{ id: 0, devices: ['00:01.1'] }]);
    expect(pciAcsEnabled(before.topology, getDevice(before.topology, '00:01.1'), REQ_ACS_FLAGS)).toBe(true);
    expect(pciAcsEnabled(after.topology, getDevice(after.topology, '00:01.1'), REQ_ACS_FLAGS)).toBe(false);
  });
});
