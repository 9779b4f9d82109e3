import { describe, expect, it } from 'vitest';
import { ACS, REQ_ACS_FLAGS, getDevice, pciAcsEnabled, pciAcsFlagsEnabled, pciAcsPathEnabled, pciDevSpecificAcsEnabled } from '../../src/hardware/index.ts';
import { ISOLATED, switchTopo, topo } from './helpers.ts';

// drivers/pci/pci.c pci_acs_flags_enabled(): no capability → false; flags missing from
// ACSCap count as hard-wired enabled (except EC); the rest must be set in ACSCtl.
describe('pci_acs_flags_enabled', () => {
  const dp = (acs: Parameters<typeof switchTopo>[0]) => getDevice(switchTopo(acs), 'dp0');
  it('a port without an ACS capability provides no flags', () => {
    expect(pciAcsFlagsEnabled(dp(null), ACS.RR)).toBe(false);
  });
  it('a flag missing from ACSCap is treated as hard-wired enabled', () => {
    expect(pciAcsFlagsEnabled(dp({ cap: ['RR', 'CR', 'UF'], ctrl: ['RR', 'CR', 'UF'] }), REQ_ACS_FLAGS)).toBe(true);
  });
  it('a flag present in ACSCap but clear in ACSCtl is not enabled', () => {
    expect(pciAcsFlagsEnabled(dp({ cap: ['SV', 'RR', 'CR', 'UF'], ctrl: ['RR', 'CR', 'UF'] }), REQ_ACS_FLAGS)).toBe(false);
  });
  it('EC is always required when asked for, even when ACSCap lacks it', () => {
    expect(pciAcsFlagsEnabled(dp(ISOLATED), ACS.EC)).toBe(false);
  });
  for (const bit of ['SV', 'TB', 'RR', 'CR', 'UF', 'DT'] as const) {
    it(`ACS ${bit} set in both ACSCap and ACSCtl is enabled, and clear in ACSCtl is not`, () => {
      expect(pciAcsFlagsEnabled(dp({ cap: [bit], ctrl: [bit] }), ACS[bit])).toBe(true);
      expect(pciAcsFlagsEnabled(dp({ cap: [bit], ctrl: [] }), ACS[bit])).toBe(false);
    });
  }
});

// drivers/pci/pci.c pci_acs_enabled(): quirk first, then by pci_pcie_type().
describe('pci_acs_enabled', () => {
  it('a single-function endpoint is isolated whatever its ACS (no internal peer)', () => {
    const t = switchTopo(null);
    expect(pciAcsEnabled(t, getDevice(t, 'a'), REQ_ACS_FLAGS)).toBe(true);
  });
  it('a multifunction endpoint without ACS is not isolated', () => {
    const t = topo({ name: 'mf', rootPorts: [{ name: 'rp', bdf: '00:1c.0', acs: ISOLATED }], endpoints: [{ name: 'e', parent: 'rp', functions: [{ bdf: '01:00.0' }, { bdf: '01:00.1' }] }] });
    expect(pciAcsEnabled(t, getDevice(t, '01:00.0'), REQ_ACS_FLAGS)).toBe(false);
  });
  it('a PCIe-to-PCI bridge is never isolated (PCIe 3.0 6.12.1 excludes ACS)', () => {
    const t = topo({ name: 'b', rootPorts: [{ name: 'rp', bdf: '00:1c.0', acs: ISOLATED }], bridges: [{ name: 'br', parent: 'rp', bdf: '01:00.0', acs: ISOLATED }] });
    expect(pciAcsEnabled(t, getDevice(t, 'br'), REQ_ACS_FLAGS)).toBe(false);
  });
  it('a conventional PCI device is never isolated (shared bus)', () => {
    const t = topo({ name: 'c', integrated: [{ bdf: '00:1f.0', kind: 'pci_device' }, { bdf: '00:1f.3', kind: 'pci_device' }] });
    expect(pciAcsEnabled(t, getDevice(t, '00:1f.0'), REQ_ACS_FLAGS)).toBe(false);
  });
  it('pci_quirk_mf_endpoint_acs isolates the functions of an Intel I350 without an ACS capability', () => {
    const t = topo({ name: 'q', rootPorts: [{ name: 'rp', bdf: '00:1c.0', acs: ISOLATED }], endpoints: [{ name: 'e', parent: 'rp', functions: [{ bdf: '01:00.0', id: '8086:1521' }, { bdf: '01:00.1', id: '8086:1521' }] }] });
    const f0 = getDevice(t, '01:00.0');
    expect(pciDevSpecificAcsEnabled(t, f0, REQ_ACS_FLAGS)).toEqual({ result: 1, quirk: 'pci_quirk_mf_endpoint_acs' });
    expect(pciAcsEnabled(t, f0, REQ_ACS_FLAGS)).toBe(true);
  });
  it('pci_quirk_intel_pch_acs vouches for a Lynxpoint root port with no ACS capability', () => {
    const t = topo({ name: 'pch', rootPorts: [{ name: 'rp', bdf: '00:1c.0', id: '8086:8c10' }] });
    expect(pciAcsEnabled(t, getDevice(t, 'rp'), REQ_ACS_FLAGS)).toBe(true);
  });
  it('pci_quirk_intel_spt_pch_acs ignores the ACSCtl lspci shows and uses the capability', () => {
    const t = topo({ name: 'spt', rootPorts: [{ name: 'rp', bdf: '00:1c.0', id: '8086:a110', acs: { cap: ['SV', 'RR', 'CR', 'UF'], ctrl: [] } }] });
    expect(pciAcsEnabled(t, getDevice(t, 'rp'), REQ_ACS_FLAGS)).toBe(true);
  });
  it('pci_quirk_amd_sb_acs applies only with an IVRS table and only to multifunction root-bus devices', () => {
    const spec = (ivrs: boolean) => topo({ name: 'sb', ivrs, integrated: [{ bdf: '00:14.0', id: '1002:4385', kind: 'pci_device' }, { bdf: '00:14.3', id: '1002:439d', kind: 'pci_device' }] });
    expect(pciAcsEnabled(spec(true), getDevice(spec(true), '00:14.0'), ACS.RR | ACS.CR)).toBe(true);
    expect(pciAcsEnabled(spec(false), getDevice(spec(false), '00:14.0'), ACS.RR | ACS.CR)).toBe(false);
  });
});

// drivers/pci/pci.c pci_acs_path_enabled(): every device from start to the root bus.
describe('pci_acs_path_enabled', () => {
  it('fails when a bridge above the start lacks the flags', () => {
    const t = switchTopo(ISOLATED, {}, null);
    expect(pciAcsPathEnabled(t, getDevice(t, 'dp0'), null, REQ_ACS_FLAGS)).toBe(false);
  });
  it('succeeds when every port from the start to the root bus has the flags (the upstream port counts as isolated)', () => {
    const t = switchTopo(ISOLATED);
    expect(pciAcsPathEnabled(t, getDevice(t, 'dp0'), null, REQ_ACS_FLAGS)).toBe(true);
  });
  it('with an end device, stops there', () => {
    const t = switchTopo(ISOLATED, {}, null);
    expect(pciAcsPathEnabled(t, getDevice(t, 'dp0'), getDevice(t, '01:00.0'), REQ_ACS_FLAGS)).toBe(true);
  });
});
