import { describe, expect, it } from 'vitest';
import {
  builtinTopologies,
  checkGroupingSoundness,
  deriveGroups,
  emittableRequesterIds,
  ridsIntoOtherGroups,
  routeMemoryRequest,
} from '../../src/hardware/index.ts';
import type { FunctionSpec, Topology } from '../../src/hardware/index.ts';
import { ISOLATED, switchTopo, topo } from './helpers.ts';

const rids = (t: Topology, dev: string, how?: 'own' | 'alias' | 'forged', policy?: Parameters<typeof emittableRequesterIds>[2]) =>
  emittableRequesterIds(t, dev, policy).filter((e) => how === undefined || e.how === how).map((e) => e.rid);
const NO_SV: FunctionSpec['acs'] = { cap: ['SV', 'RR', 'CR', 'UF'], ctrl: ['RR', 'CR', 'UF'] };

// pci_for_each_dma_alias (drivers/pci/search.c) and the requester ID a function captures.
describe('own requester ID and DMA aliases (pci_for_each_dma_alias)', () => {
  it('an endpoint emits its own bus:devfn captured from Type 0 config writes', () => {
    expect(emittableRequesterIds(builtinTopologies['switch-acs']!, 'nic-a')[0]).toMatchObject({ rid: '03:00.0', how: 'own' });
  });
  it('quirk_dma_func1_alias: a Marvell 88SE9128 also issues DMA as function 1 of its slot', () => {
    const e = emittableRequesterIds(builtinTopologies['dma-alias-quirk']!, 'marvell-sata');
    expect(e.map((x) => [x.rid, x.how])).toEqual([['01:00.0', 'own'], ['01:00.1', 'alias']]);
    expect(e[1]!.note).toMatch(/dma_alias_mask devfn 00\.1.*quirk_dma_func1_alias/);
  });
  it('a PCIe-to-PCI bridge takes over the requester ID of conventional devices as (secondary bus, 00.0)', () => {
    const t = builtinTopologies['pcie-to-pci-bridge']!;
    const e = emittableRequesterIds(t, 'pci-serial');
    expect(e.map((x) => [x.rid, x.how])).toEqual([['02:01.0', 'own'], ['02:00.0', 'alias']]);
    expect(e[1]!.note).toMatch(/PCIe-to-PCI bridge 01:00\.0 takes over/);
  });
  it('the bridge alias of the device at devfn 00.0 is its own RID, listed once', () => {
    expect(emittableRequesterIds(builtinTopologies['pcie-to-pci-bridge']!, 'pci-sound').map((x) => x.rid)).toEqual(['02:00.0']);
  });
  it('conventional PCI carries no requester ID: devices behind a PCIe-to-PCI bridge forge nothing', () => {
    expect(rids(builtinTopologies['pcie-to-pci-bridge']!, 'pci-serial', 'forged')).toEqual([]);
  });
  it('a bridge flagged PCI_DEV_FLAGS_PCI_BRIDGE_NO_ALIAS adds no alias', () => {
    const t = topo({ name: 'ast', rootPorts: [{ name: 'rp', bdf: '00:1c.0', acs: ISOLATED }], bridges: [{ name: 'br', parent: 'rp', bdf: '01:00.0', flags: { pciBridgeNoAlias: true }, devices: [{ bdf: '02:03.0' }] }] });
    expect(emittableRequesterIds(t, '02:03.0').map((x) => [x.rid, x.how])).toEqual([['02:03.0', 'own']]);
  });
});

// ACS Source Validation (PCIe r6.0 sec 6.12.1.1): the RID's bus must lie in secondary..subordinate.
describe('forged requester IDs past ports without ACS SV', () => {
  it('with ACS SV on every downstream port an endpoint alone on its bus forges nothing', () => {
    for (const name of ['nic-a', 'nic-b']) expect(rids(builtinTopologies['switch-acs']!, name, 'forged')).toEqual([]);
  });
  it('below a downstream port without SV, the root port\'s SV passes every RID on buses 01-04', () => {
    const e = emittableRequesterIds(builtinTopologies['switch-no-acs-sv']!, 'nic-a');
    expect(e.filter((x) => x.how === 'forged').map((x) => x.rid)).toEqual(['01:00.0', '02:08.0', '02:10.0', '04:00.0']);
    expect(e.find((x) => x.rid === '04:00.0')!.note).toMatch(/no ACS SV at 02:08\.0 .*ACS SV at 00:01\.0 \(root port\).*buses 01-04.*nic-b/);
  });
  it('the forged RID passes ACS SV on the route and reaches the IOMMU as the peer\'s requester ID', () => {
    const req = { requester: 'nic-a', address: 0x10000, requesterId: '04:00.0' };
    expect(routeMemoryRequest(builtinTopologies['switch-no-acs-sv']!, req).outcome).toMatchObject({ kind: 'iommu', rid: '04:00.0' });
    expect(routeMemoryRequest(builtinTopologies['switch-acs']!, req).outcome).toEqual({ kind: 'blocked', at: '02:08.0', bit: 'SV' });
  });
  it('a root port without ACS above ports without SV: the root complex does no SV of its own and sees any RID', () => {
    const t = switchTopo(NO_SV, {}, null);
    expect(rids(t, 'a', 'forged')).toEqual(['00:01.0', '01:00.0', '02:00.0', '02:01.0', '04:00.0']);
    expect(emittableRequesterIds(t, 'a').at(-1)!.note).toMatch(/no ACS SV at 02:00\.0 \(downstream port\), 00:01\.0 \(root port\).*root complex does no source validation/);
  });
  it('SV checks the bus only, so it cannot separate the functions of one device: they are not taken to forge each other\'s RID', () => {
    expect(rids(builtinTopologies['multifunction-quirk']!, 'i350.0', 'forged')).toEqual([]);
  });
  it('a forged RID that is a DMA alias selects the device it aliases (quirk_dma_func1_alias phantom function)', () => {
    const t = topo({ name: 'ph', rootPorts: [{ name: 'rp', bdf: '00:1c.0', acs: null }], endpoints: [{ name: 'sata', parent: 'rp', functions: [{ bdf: '01:00.0', id: '1b4b:9128' }] }] });
    const e = emittableRequesterIds(t, '00:1c.0').find((x) => x.rid === '01:00.1');
    expect(e).toMatchObject({ how: 'forged', note: expect.stringMatching(/01:00\.1 is a DMA alias of 01:00\.0/) });
  });
  it('unreadable ACS (<access denied>) at a root port follows AcsPolicy.assumeUnknown', () => {
    const t = switchTopo(NO_SV, {}, 'unknown');
    expect(rids(t, 'a', 'forged')).toContain('00:01.0'); // taken as absent: the root complex sees any RID
    expect(rids(t, 'a', 'forged', { acsOverride: false, assumeUnknown: 'enabled' })).toEqual(['01:00.0', '02:00.0', '02:01.0', '04:00.0']);
  });
  it('an SV bit missing from ACSCap counts as hard-wired on (pci_acs_flags_enabled), so nothing is forged', () => {
    // The kernel's cached view after pci_disable_broken_acs_cap(); the real registers are NO_SV.
    const t = switchTopo({ cap: ['RR', 'CR', 'UF'], ctrl: ['RR', 'CR', 'UF'] });
    expect(rids(t, 'a', 'forged')).toEqual([]);
    expect(deriveGroups(t).groupOf['03:00.0']).not.toBe(deriveGroups(t).groupOf['02:00.0']);
  });
});

describe('ridsIntoOtherGroups (a requester ID that selects another group\'s IOMMU context)', () => {
  it('switch-no-acs-sv: groups are sound for peer routing (I13) yet nic-a can forge nic-b\'s RID', () => {
    const t = builtinTopologies['switch-no-acs-sv']!;
    const g = deriveGroups(t);
    expect(g.groups.map((x) => x.devices)).toEqual([['00:01.0'], ['01:00.0'], ['02:08.0', '03:00.0'], ['02:10.0', '04:00.0']]);
    expect(checkGroupingSoundness(t, g)).toBeNull();
    const c = ridsIntoOtherGroups(t, g, 'nic-a');
    expect(c.map((x) => [x.rid, x.owner, x.how])).toEqual([['01:00.0', '01:00.0', 'forged'], ['02:10.0', '02:10.0', 'forged'], ['04:00.0', '04:00.0', 'forged']]);
    expect(c[2]).toMatchObject({ from: '03:00.0', note: expect.stringMatching(/group 3, 03:00\.0 is in group 2/) });
  });
  it('switch-acs: no RID of an endpoint reaches another group', () => {
    const t = builtinTopologies['switch-acs']!;
    expect(ridsIntoOtherGroups(t, deriveGroups(t), 'nic-a')).toEqual([]);
  });
  it('an alias of a device in the same group (pci_device_group joins aliases) is no crossing', () => {
    const t = builtinTopologies['pcie-to-pci-bridge']!;
    expect(ridsIntoOtherGroups(t, deriveGroups(t), 'pci-serial')).toEqual([]);
  });
  it('an alias RID owned by a device in another group of a given grouping is reported as alias', () => {
    const t = builtinTopologies['pcie-to-pci-bridge']!;
    const split = { groups: [], groupOf: { '00:1c.0': 0, '01:00.0': 1, '02:00.0': 2, '02:01.0': 3 }, why: {} };
    expect(ridsIntoOtherGroups(t, split, 'pci-serial')).toEqual([expect.objectContaining({ rid: '02:00.0', owner: '02:00.0', how: 'alias' })]);
  });
  it('the same happens with the real registers of a port whose SV is off (ACSCtl SrcValid-)', () => {
    const t = switchTopo(NO_SV);
    expect(ridsIntoOtherGroups(t, deriveGroups(t), 'a').map((x) => x.owner)).toContain('04:00.0');
  });
});
