import { describe, expect, it } from 'vitest';
import { builtinTopologies, deriveGroups, deriveGroupsWithAcsOverride, pciForEachDmaAlias, getDevice } from '../../src/hardware/index.ts';
import { ISOLATED, switchTopo, topo } from './helpers.ts';

const partition = (t: Parameters<typeof deriveGroups>[0], g = deriveGroups(t)) => g.groups.map((x) => x.devices);

// drivers/iommu/iommu.c pci_device_group() and helpers.
describe('pci_device_group', () => {
  it('pci_device_group gives every device below a fully isolated switch its own group', () => {
    expect(partition(builtinTopologies['switch-acs']!)).toEqual([['00:01.0'], ['01:00.0'], ['02:08.0'], ['02:10.0'], ['03:00.0'], ['04:00.0']]);
  });
  it('an endpoint below a downstream port without ACS joins the port (pci_acs_path_enabled(bus->self) fails)', () => {
    const g = deriveGroups(builtinTopologies['switch-no-acs']!);
    expect(g.groupOf['03:00.0']).toBe(g.groupOf['02:08.0']);
  });
  it('mainline keeps the two non-ACS downstream ports of one switch in different groups (the pcie_switch_groups gap)', () => {
    const g = deriveGroups(builtinTopologies['switch-no-acs']!);
    expect(g.groupOf['03:00.0']).not.toBe(g.groupOf['04:00.0']);
  });
  it('a root port without ACS takes the whole switch below it into its group', () => {
    const t = switchTopo(ISOLATED, {}, null);
    expect(partition(t)).toEqual([['00:01.0', '01:00.0', '02:00.0', '02:01.0', '03:00.0', '04:00.0']]);
  });
  it('pci_device_group puts both functions of a multifunction device without ACS in one group', () => {
    expect(partition(builtinTopologies['multifunction-no-acs']!)).toEqual([['00:1c.0'], ['01:00.0', '01:00.1']]);
  });
  it('get_pci_function_alias_group leaves an ACS-isolated function of a multifunction device alone', () => {
    const t = topo({ name: 'mix', rootPorts: [{ name: 'rp', bdf: '00:1c.0', acs: ISOLATED }], endpoints: [{ name: 'e', parent: 'rp', functions: [{ bdf: '01:00.0' }, { bdf: '01:00.1' }, { bdf: '01:00.2', acs: { cap: ['RR', 'CR'], ctrl: ['RR', 'CR'] } }] }] });
    expect(partition(t)).toEqual([['00:1c.0'], ['01:00.0', '01:00.1'], ['01:00.2']]);
  });
  it('an ACS quirk splits the functions of a vendor-verified multifunction endpoint', () => {
    expect(partition(builtinTopologies['multifunction-quirk']!)).toEqual([['00:1c.0'], ['01:00.0'], ['01:00.1']]);
  });
  it('everything behind a PCIe-to-PCI bridge shares the bridge group (DMA alias to the secondary bus)', () => {
    const t = builtinTopologies['pcie-to-pci-bridge']!;
    expect(partition(t)).toEqual([['00:1c.0'], ['01:00.0', '02:00.0', '02:01.0']]);
    expect(pciForEachDmaAlias(t, getDevice(t, 'pci-sound')).map((a) => a.rid)).toEqual(['02:00.0', '02:00.0']);
  });
  it('two root ports of one multifunction root port device without ACS share a group with their children', () => {
    expect(partition(builtinTopologies['root-port-no-acs']!)).toEqual([['00:1c.0', '00:1c.1', '01:00.0', '02:00.0']]);
  });
  it('quirk_dma_func1_alias gives a Marvell SATA function a DMA alias to function 1', () => {
    const t = builtinTopologies['dma-alias-quirk']!;
    expect(pciForEachDmaAlias(t, getDevice(t, 'marvell-sata')).map((a) => a.rid)).toEqual(['01:00.0', '01:00.1']);
  });
  it('get_pci_alias_group joins devices that alias each other on one bus', () => {
    const t = topo({ name: 'al', integrated: [{ bdf: '00:02.0', dmaAliases: ['03.0'] }, { bdf: '00:03.0' }] });
    expect(partition(t)).toEqual([['00:02.0', '00:03.0']]);
  });
  it('a bridge flagged PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT stops the alias walk', () => {
    const t = topo({ name: 'x', rootPorts: [{ name: 'rp', bdf: '00:1c.0', acs: ISOLATED }], bridges: [{ name: 'br', parent: 'rp', bdf: '01:00.0', flags: { bridgeXlateRoot: true }, devices: [{ bdf: '02:00.0' }] }] });
    expect(pciForEachDmaAlias(t, getDevice(t, '02:00.0')).map((a) => a.rid)).toEqual(['02:00.0']);
  });
  it('the ACS override variant trusts every port and splits the non-ACS multifunction device', () => {
    expect(partition(builtinTopologies['multifunction-no-acs']!, deriveGroupsWithAcsOverride(builtinTopologies['multifunction-no-acs']!))).toEqual([['00:1c.0'], ['01:00.0'], ['01:00.1']]);
  });
  it('records why each device landed in its group', () => {
    const g = deriveGroups(builtinTopologies['switch-no-acs']!);
    expect(g.why['03:00.0']).toMatch(/no ACS isolation on the path at 02:08.0/);
  });
});
