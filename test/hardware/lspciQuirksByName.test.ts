/**
 * lspci -vvv without -n prints names, not vendor:device IDs: parseLspci reads the quirk IDs back
 * from the names (pci.ids table), so pci_dev_specific_acs_enabled() and the DMA alias header
 * quirks match again, and the warnings say which devices got their ID from a name.
 */
import { describe, expect, it } from 'vitest';
import { compareGroupings, deriveGroups, getDevice, parseLspci, pciDevSpecificAcsEnabled, REQ_ACS_FLAGS } from '../../src/hardware/index.ts';
import type { LspciParse } from '../../src/hardware/index.ts';
import { loadLspciFixture } from './helpers.ts';

function parse(text: string): LspciParse {
  const r = parseLspci(text, 'synthetic.txt');
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** An AMD SB7x0 southbridge slot 00:14 (conventional functions, no capability list), one IOMMU group per function. */
const sb700 = (vendorName: string) =>
  [
    `00:14.0 SMBus: ${vendorName} SBx00 SMBus Controller (rev 3c)`,
    '\tStatus: Cap- 66MHz+ UDF- FastB2B- ParErr- DEVSEL=medium >TAbort- <TAbort- <MAbort- >SERR- <PERR- INTx-',
    '\tIOMMU group: 7',
    '',
    `00:14.2 Audio device: ${vendorName} SBx00 Azalia (Intel HDA) (rev 40)`,
    '\tStatus: Cap- 66MHz- UDF- FastB2B- ParErr- DEVSEL=slow >TAbort- <TAbort- <MAbort- >SERR- <PERR- INTx-',
    '\tIOMMU group: 8',
    '\tRegion 0: Memory at fe024000 (64-bit, non-prefetchable) [size=16K]',
    '',
    `00:14.3 ISA bridge: ${vendorName} SB7x0/SB8x0/SB9x0 LPC host controller (rev 40)`,
    '\tStatus: Cap- 66MHz+ UDF- FastB2B- ParErr- DEVSEL=medium >TAbort- <TAbort- <MAbort- >SERR- <PERR- INTx-',
    '\tIOMMU group: 9',
    '',
  ].join('\n');

/** A Union Point PCH root port whose ACSCtl lspci misreads (SPT quirk) with a GPU below. */
const unionPoint = (name: string) =>
  [
    `00:1b.4 PCI bridge: ${name} (rev f0) (prog-if 00 [Normal decode])`,
    '\tIOMMU group: 8',
    '\tBus: primary=00, secondary=03, subordinate=03, sec-latency=0',
    '\tMemory behind bridge: da000000-db0fffff [size=17M]',
    '\tCapabilities: [40] Express (v2) Root Port (Slot+), MSI 00',
    '\tCapabilities: [220 v1] Access Control Services',
    '\t\tACSCap:\tSrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-',
    '\t\tACSCtl:\tSrcValid- TransBlk- ReqRedir- CmpltRedir- UpstreamFwd- EgressCtrl- DirectTrans-',
    '',
    '03:00.0 VGA compatible controller: NVIDIA Corporation GP107 [GeForce GTX 1050 Ti] (rev a1) (prog-if 00 [VGA controller])',
    '\tIOMMU group: 12',
    '\tRegion 0: Memory at da000000 (32-bit, non-prefetchable) [size=16M]',
    '\tCapabilities: [68] Express (v2) Legacy Endpoint, MSI 00',
    '',
  ].join('\n');

describe('pci_quirk_amd_sb_acs on an lspci -vvv dump without -n (synthetic SB7x0 slot 00:14)', () => {
  it('the SBx00 functions get their IDs (1002:4385, 1002:4383, 1002:439d) from their names, and the warnings say so', () => {
    const dump = parse(sb700('Advanced Micro Devices, Inc. [AMD/ATI]'));
    expect(dump.idsFromNames.map((x) => [x.bdf, x.id, x.how])).toEqual([
      ['00:14.0', '1002:4385', 'device name'],
      ['00:14.2', '1002:4383', 'device name'],
      ['00:14.3', '1002:439d', 'device name'],
    ]);
    expect(dump.warnings.some((w) => w.startsWith('00:14.0: ID 1002:4385 read from its name "Advanced Micro Devices, Inc. [AMD/ATI] SBx00 SMBus Controller"'))).toBe(true);
  });

  it('with IVRS (AMD machine with IOMMU groups) the quirk isolates each multifunction function on the root bus: one group each, as recorded', () => {
    const dump = parse(sb700('Advanced Micro Devices, Inc. [AMD/ATI]'));
    const t = dump.topology;
    expect(t.ivrs).toBe(true);
    expect(pciDevSpecificAcsEnabled(t, getDevice(t, '00:14.0'), REQ_ACS_FLAGS)).toEqual({ result: 1, quirk: 'pci_quirk_amd_sb_acs' });
    expect(compareGroupings(deriveGroups(t), dump.recordedGroups!).matches).toBe(true);
  });

  it('printed with an older vendor name ("ATI Technologies Inc") no ID is recovered, the quirk cannot match, and get_pci_function_alias_group merges the slot unlike the record', () => {
    const dump = parse(sb700('ATI Technologies Inc'));
    expect(dump.idsFromNames).toEqual([]);
    expect(pciDevSpecificAcsEnabled(dump.topology, getDevice(dump.topology, '00:14.0'), REQ_ACS_FLAGS).result).toBe(-1);
    const g = deriveGroups(dump.topology);
    expect(g.groupOf['00:14.2']).toBe(g.groupOf['00:14.0']);
    expect(compareGroupings(g, dump.recordedGroups!).matches).toBe(false);
  });
});

describe('pci_quirk_intel_spt_pch_acs on an lspci -vvv dump without -n (synthetic Union Point root port)', () => {
  it('"200 Series PCH PCI Express Root Port #21" is 8086:a2eb: the quirk reads ACS control at the right offset, the port isolates and the GPU gets its own group', () => {
    const dump = parse(unionPoint('Intel Corporation 200 Series PCH PCI Express Root Port #21'));
    const t = dump.topology;
    expect(getDevice(t, '00:1b.4')).toMatchObject({ vendor: 0x8086, device: 0xa2eb });
    expect(pciDevSpecificAcsEnabled(t, getDevice(t, '00:1b.4'), REQ_ACS_FLAGS)).toEqual({ result: 1, quirk: 'pci_quirk_intel_spt_pch_acs' });
    const g = deriveGroups(t);
    expect(g.groupOf['03:00.0']).not.toBe(g.groupOf['00:1b.4']);
    expect(compareGroupings(g, dump.recordedGroups!).matches).toBe(true);
  });

  it('a port printed "Intel Corporation Device 1234" is 8086:1234, not a Sunrise/Union Point ID: no SPT quirk, lspci\'s ACSCtl- stands and pci_acs_path_enabled fails, so the GPU joins the port\'s group', () => {
    const dump = parse(unionPoint('Intel Corporation Device 1234'));
    const t = dump.topology;
    expect(getDevice(t, '00:1b.4')).toMatchObject({ vendor: 0x8086, device: 0x1234 });
    const g = deriveGroups(t);
    expect(g.groupOf['03:00.0']).toBe(g.groupOf['00:1b.4']);
  });
});

describe('real dumps without -n', () => {
  it('ASUS B350 (lspci -kvv): the ASM1083/1085 PCIe-to-PCI bridge 05:00.0 is 1b21:1080, so quirk_use_pcie_bridge_dma_alias sets PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS; the groups still match the record', () => {
    const dump = loadLspciFixture('asus-b350-ryzen-promontory.kvv.txt');
    const t = dump.topology;
    expect(getDevice(t, '05:00.0')).toMatchObject({ vendor: 0x1b21, device: 0x1080, flags: { pcieBridgeAlias: true } });
    expect(dump.idsFromNames.find((x) => x.bdf === '05:00.0')).toMatchObject({ id: '1b21:1080', how: 'device name' });
    expect(dump.idsFromNames.find((x) => x.bdf === '02:00.2')).toMatchObject({ id: '1022:43b2', how: 'Device dddd' });
    expect(compareGroupings(deriveGroups(t), dump.recordedGroups!).matches).toBe(true);
  });

  it('ThinkPad E15 Gen 3 (lspci -vvv): AMD devices get their vendor from the name; no ID of an ACS or DMA alias quirk is among them, so the derived groups are unchanged and still match', () => {
    const dump = loadLspciFixture('thinkpad-e15g3-renoir.vvv.txt');
    expect(getDevice(dump.topology, '00:14.0')).toMatchObject({ vendor: 0x1022, device: -1 });
    expect(dump.warnings.some((w) => /^vendor 1022 read from the names of 24 device\(s\)/.test(w))).toBe(true);
    for (const d of dump.topology.devices) expect(pciDevSpecificAcsEnabled(dump.topology, d, REQ_ACS_FLAGS).result).toBe(-1);
    expect(compareGroupings(deriveGroups(dump.topology), dump.recordedGroups!).matches).toBe(true);
  });
});
