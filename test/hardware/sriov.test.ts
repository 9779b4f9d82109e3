/**
 * SR-IOV Virtual Functions: `physfn` in topology files (pdev->physfn, pdev->is_virtfn),
 * mainline pci_device_group (a VF has multifunction = 0, so pci_acs_enabled() is true),
 * routing among a PF and its VFs (PCIe r6.0 sec 6.12.1.2: the PF's ACS RR decides), I13 on the
 * sriov-nic builtins, the pcie_switch_groups v3 rule and pci_enable_pasid for a VF.
 */
import { describe, expect, it } from 'vitest';
import type { FunctionSpec, Topology, TopologySpec } from '../../src/hardware/index.ts';
import {
  builtinTopologies,
  checkGroupingSoundness,
  deriveGroups,
  deriveGroupsSwitchGroups,
  kernelAddOrder,
  parseTopology,
  pciEnablePasid,
  peerReach,
  routeMemoryRequest,
} from '../../src/hardware/index.ts';
import { ISOLATED, topo } from './helpers.ts';

type Acs = FunctionSpec['acs'];
const PF_ACS: Acs = { cap: ['RR', 'CR', 'UF'], ctrl: ['RR', 'CR', 'UF'] };
const PRE_V3 = { assumeNoLoopbackWithoutAcsCap: false };
const PF_BAR = 0xc0000000;
const VF0_BAR = 0xc0100000;
const VF1_BAR = 0xc0110000;
const builtin = (name: string): Topology => builtinTopologies[name]!;
const partition = (g: { groups: readonly { devices: readonly string[] }[] }) => g.groups.map((x) => x.devices);
const actions = (r: ReturnType<typeof routeMemoryRequest>) => r.hops.map((h) => `${h.at}:${h.action}`);

/** A root port (ACS per `rpAcs`) with one SR-IOV endpoint: PF 01:00.0 and VFs 01:02.0, 01:02.1. */
function sriovTopo(pfAcs: Acs, rpAcs: Acs = ISOLATED, vf: Partial<FunctionSpec> = {}, pf: Partial<FunctionSpec> = {}): Topology {
  const spec: TopologySpec = {
    name: 'sriov',
    rootPorts: [{ name: 'rp0', bdf: '00:01.0', acs: rpAcs }],
    endpoints: [
      {
        name: 'nic',
        parent: 'rp0',
        functions: [
          { bdf: '01:00.0', name: 'pf', acs: pfAcs, bars: [{ base: PF_BAR, size: 0x100000 }], ...pf },
          { bdf: '01:02.0', name: 'vf0', physfn: '01:00.0', bars: [{ base: VF0_BAR, size: 0x10000 }], ...vf },
          { bdf: '01:02.1', name: 'vf1', physfn: '01:00.0', bars: [{ base: VF1_BAR, size: 0x10000 }] },
        ],
      },
    ],
  };
  return topo(spec);
}

describe('topology files: physfn (pdev->physfn set by pci_iov_add_virtfn)', () => {
  it('a VF carries physfn (plain data) and is never multifunction (virtfn->multifunction = 0), though two VFs share slot 02', () => {
    const t = builtin('sriov-nic');
    const dev = (bdf: string) => t.devices.find((d) => d.bdf === bdf)!;
    expect(dev('01:02.0')).toMatchObject({ physfn: '01:00.0', multifunction: false, kind: 'endpoint', vendor: 0x8086, device: 0x154c, acs: null });
    expect(dev('01:02.1')).toMatchObject({ physfn: '01:00.0', multifunction: false });
    expect(dev('01:00.0').physfn).toBeUndefined();
    expect(dev('01:00.0').multifunction).toBe(false); // VFs do not count for the PF's header-type bit
    expect(JSON.parse(JSON.stringify(t))).toEqual(t);
  });
  it('an endpoint-level multifunction: true marks the PF, not its VFs; the VF may still declare an ACS capability', () => {
    const t = topo({
      name: 'mf',
      rootPorts: [{ name: 'rp', bdf: '00:01.0', acs: ISOLATED }],
      endpoints: [{ name: 'e', parent: 'rp', multifunction: true, functions: [{ bdf: '01:00.0' }, { bdf: '01:00.1', physfn: '01:00.0', acs: PF_ACS }] }],
    });
    expect(t.devices.map((d) => [d.bdf, d.multifunction, d.physfn ?? null])).toEqual([['00:01.0', false, null], ['01:00.0', true, null], ['01:00.1', false, '01:00.0']]);
    expect(t.devices[2]!.acs).toEqual({ cap: 0x1c, ctrl: 0x1c });
  });
  const ep = (fns: string) => `name: x\nrootPorts: [{ name: r, bdf: "00:01.0" }]\nendpoints: [{ name: e, parent: r, functions: [${fns}] }]\n`;
  const cases: [string, string][] = [
    [ep('{ bdf: "01:00.0" }, { bdf: "01:02.0", physfn: "01:00.0" }, { bdf: "01:02.1", physfn: "01:00.5" }'), 't.yaml: endpoints[0].functions[2].physfn: expected the bdf of a function of the same endpoint, got "01:00.5"'],
    [ep('{ bdf: "01:00.0" }, { bdf: "01:02.0", physfn: "01:02.0" }'), 't.yaml: endpoints[0].functions[1].physfn: expected the bdf of a function of the same endpoint, got "01:02.0"'],
    [
      'name: x\nrootPorts: [{ name: r, bdf: "00:01.0" }, { name: s, bdf: "00:02.0" }]\nendpoints: [{ name: a, parent: r, functions: [{ bdf: "01:00.0" }] }, { name: b, parent: s, functions: [{ bdf: "02:02.0", physfn: "01:00.0" }] }]\n',
      't.yaml: endpoints[1].functions[0].physfn: expected the bdf of a function of the same endpoint, got "01:00.0"',
    ],
    [ep('{ bdf: "01:00.0" }, { bdf: "01:02.0", physfn: "01:00.0" }, { bdf: "01:02.1", physfn: "01:02.0" }'), 't.yaml: endpoints[0].functions[2].physfn: expected the bdf of a physical function of the same endpoint (it is itself a VF), got "01:02.0"'],
    [ep('{ bdf: "01:00.0" }, { bdf: "01:02.0", physfn: "1:0.0" }'), 't.yaml: endpoints[0].functions[1].physfn: expected a bdf string "bb:dd.f"'],
    [ep('{ bdf: "01:00.0" }, { bdf: "01:02.0", kind: pci_device, physfn: "01:00.0" }'), 't.yaml: endpoints[0].functions[1].kind: expected endpoint (an SR-IOV VF, physfn set, is a PCIe endpoint), got "pci_device"'],
    [ep('{ bdf: "01:00.0", id: "8086:1572" }, { bdf: "01:02.0", id: "15b3:101e", physfn: "01:00.0" }'), 't.yaml: endpoints[0].functions[1].id: expected the PF\'s vendor 8086 (pci_iov_add_virtfn(): virtfn->vendor = dev->vendor), got "15b3:101e"'],
    ['name: x\nintegrated: [{ bdf: "00:02.0" }, { bdf: "00:02.1", physfn: "00:02.0" }]\n', 't.yaml: integrated[1].physfn: expected no such key (check the spelling), got "physfn"'],
  ];
  for (const [text, msg] of cases) {
    it(`reports ${msg.split(': ').slice(1, 2)[0]} in one line: ${msg.split('expected ')[1]!.slice(0, 50)}`, () => {
      const r = parseTopology(text, 't.yaml');
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.message.startsWith(msg)).toBe(true);
        expect(r.error.message).not.toContain('\n');
      }
    });
  }
});

describe('pci_device_group with SR-IOV VFs (mainline: pci_acs_enabled() is true for a VF, multifunction = 0)', () => {
  it('sriov-nic: below an isolated root port the PF and each VF get a group of their own', () => {
    const g = deriveGroups(builtin('sriov-nic'));
    expect(partition(g)).toEqual([['00:01.0'], ['01:00.0'], ['01:02.0'], ['01:02.1']]);
    expect(g.why['01:02.0']).toMatch(/^new group \(isolated\); SR-IOV VF of 01:00\.0: multifunction = 0/);
  });
  it('sriov-nic-acs: the PF\'s ACS capability changes nothing for mainline grouping', () => {
    expect(partition(deriveGroups(builtin('sriov-nic-acs')))).toEqual([['00:01.0'], ['01:00.0'], ['01:02.0'], ['01:02.1']]);
  });
  it('below a root port without ACS, the VFs share the root port\'s group like any function (pci_acs_path_enabled(bus->self) fails)', () => {
    expect(partition(deriveGroups(sriovTopo(null, null)))).toEqual([['00:01.0', '01:00.0', '01:02.0', '01:02.1']]);
  });
  it('get_pci_function_alias_group skips a VF in the slot of a multifunction PF without ACS: the PFs share a group, the VF does not', () => {
    const t = topo({
      name: 'mf-pf',
      rootPorts: [{ name: 'rp', bdf: '00:01.0', acs: ISOLATED }],
      endpoints: [{ name: 'e', parent: 'rp', functions: [{ bdf: '01:00.0' }, { bdf: '01:00.1' }, { bdf: '01:00.2', physfn: '01:00.0' }] }],
    });
    expect(t.devices.filter((d) => d.multifunction).map((d) => d.bdf)).toEqual(['01:00.0', '01:00.1']);
    expect(partition(deriveGroups(t))).toEqual([['00:01.0'], ['01:00.0', '01:00.1'], ['01:00.2']]);
  });
  it('VFs are probed last (pci_iov_add_virtfn() runs when the PF driver enables SR-IOV)', () => {
    expect(kernelAddOrder(builtin('sriov-nic')).map((d) => d.bdf)).toEqual(['00:01.0', '01:00.0', '01:02.0', '01:02.1']);
    const t = topo({
      name: 'two',
      rootPorts: [{ name: 'r0', bdf: '00:01.0', acs: ISOLATED }, { name: 'r1', bdf: '00:02.0', acs: ISOLATED }],
      endpoints: [
        { name: 'a', parent: 'r0', functions: [{ bdf: '01:00.0' }, { bdf: '01:00.1', physfn: '01:00.0' }] },
        { name: 'b', parent: 'r1', functions: [{ bdf: '02:00.0' }] },
      ],
    });
    expect(kernelAddOrder(t).map((d) => d.bdf)).toEqual(['00:01.0', '00:02.0', '01:00.0', '02:00.0', '01:00.1']);
  });
});

describe('routeMemoryRequest inside an SR-IOV device (PCIe r6.0 6.12.1.2: the PF\'s ACS RR governs)', () => {
  it('PF without ACS: a VF\'s request to its PF\'s BAR stays inside the device (peer-internal)', () => {
    const r = routeMemoryRequest(builtin('sriov-nic'), { requester: 'x710-vf0', address: PF_BAR });
    expect(actions(r)).toEqual(['01:02.0:issue', '01:02.0:peer-internal', '01:00.0:claim']);
    expect(r.outcome).toEqual({ kind: 'peer', target: '01:00.0', bar: 0 });
  });
  it('PF without ACS: VF to sibling VF and PF to VF are peer-internal too', () => {
    expect(actions(routeMemoryRequest(builtin('sriov-nic'), { requester: '01:02.0', address: VF1_BAR }))).toEqual(['01:02.0:issue', '01:02.0:peer-internal', '01:02.1:claim']);
    expect(actions(routeMemoryRequest(builtin('sriov-nic'), { requester: '01:00.0', address: VF0_BAR }))).toEqual(['01:00.0:issue', '01:00.0:peer-internal', '01:02.0:claim']);
  });
  it('PF with ACS RR: the same requests are redirected upstream and reach the IOMMU with the requester\'s own RID', () => {
    const t = builtin('sriov-nic-acs');
    const r = routeMemoryRequest(t, { requester: '01:02.0', address: PF_BAR });
    expect(actions(r)).toEqual(['01:02.0:issue', '01:02.0:redirect-upstream', '00:01.0:forward-upstream', 'iommu:to-iommu']);
    expect(r.outcome).toMatchObject({ kind: 'iommu', rid: '01:02.0', address: PF_BAR });
    expect(routeMemoryRequest(t, { requester: '01:00.0', address: VF1_BAR }).outcome).toMatchObject({ kind: 'iommu', rid: '01:00.0' });
    expect(peerReach(t, '01:02.1', '01:02.0').bypassesIommu).toBe(false);
    expect(peerReach(builtin('sriov-nic'), '01:02.1', '01:02.0').bypassesIommu).toBe(true);
  });
  it('a redirected request is reflected back down by a root port without ACS UF', () => {
    const r = routeMemoryRequest(sriovTopo(PF_ACS, { cap: ['SV', 'RR', 'CR', 'UF'], ctrl: ['SV', 'RR', 'CR'] }), { requester: 'vf0', address: PF_BAR });
    expect(actions(r)).toEqual(['01:02.0:issue', '01:02.0:redirect-upstream', '00:01.0:reflect-down', '01:00.0:claim']);
  });
  it('a VF with an ACS capability of its own and RR on redirects its own requests; the PF\'s requests to it still stay inside', () => {
    const t = sriovTopo(null, ISOLATED, { acs: PF_ACS });
    expect(routeMemoryRequest(t, { requester: 'vf0', address: PF_BAR }).outcome.kind).toBe('iommu');
    expect(routeMemoryRequest(t, { requester: 'pf', address: VF0_BAR }).outcome).toEqual({ kind: 'peer', target: '01:02.0', bar: 0 });
  });
  it('ACS DT at the PF lets an ATS-translated VF request go direct despite RR', () => {
    const t = sriovTopo({ cap: ['RR', 'CR', 'UF', 'DT'], ctrl: ['RR', 'CR', 'UF', 'DT'] });
    expect(routeMemoryRequest(t, { requester: 'vf0', address: PF_BAR, translated: true }).outcome.kind).toBe('peer');
    expect(routeMemoryRequest(t, { requester: 'vf0', address: PF_BAR }).outcome.kind).toBe('iommu');
  });
  it('a VF\'s request to another function\'s BAR outside its SR-IOV device goes upstream as usual', () => {
    const t = topo({
      name: 'two-pf',
      rootPorts: [{ name: 'rp', bdf: '00:01.0', acs: ISOLATED }],
      endpoints: [{ name: 'e', parent: 'rp', functions: [{ bdf: '01:00.0' }, { bdf: '01:00.1', bars: [{ base: 0xd0000000, size: 0x1000 }] }, { bdf: '01:02.0', physfn: '01:00.0' }] }],
    });
    expect(routeMemoryRequest(t, { requester: '01:02.0', address: 0xd0000000 }).outcome.kind).toBe('iommu');
  });
});

describe('I13 (checkGroupingSoundness) on the SR-IOV builtins', () => {
  it('sriov-nic: mainline keeps the PF and its VFs apart although they reach each other inside the device: I13 broken', () => {
    expect(checkGroupingSoundness(builtin('sriov-nic'))).toBe('I13 broken: 01:00.0 (group 1) reaches 01:02.0 (group 2) without the IOMMU: 01:00.0:issue -> 01:00.0:peer-internal -> 01:02.0:claim');
  });
  it('sriov-nic-acs: the PF\'s ACS RR sends every PF/VF peer request to the IOMMU: I13 holds', () => {
    expect(checkGroupingSoundness(builtin('sriov-nic-acs'))).toBeNull();
  });
});

describe('deriveGroupsSwitchGroups (pcie_switch_groups v3) with SR-IOV VFs', () => {
  it('sriov-nic, v3: a PF without an ACS capability is assumed to have no loopback, so the VFs stay apart (assumptionUsed) and I13 breaks', () => {
    const t = builtin('sriov-nic');
    const g = deriveGroupsSwitchGroups(t);
    expect(partition(g)).toEqual([['00:01.0'], ['01:00.0'], ['01:02.0'], ['01:02.1']]);
    expect(g.assumptionUsed).toBe(true);
    expect(g.why['01:02.0']).toContain('no loopback assumed with 01:00.0');
    expect(checkGroupingSoundness(t, g)).toMatch(/^I13 broken: 01:00\.0/);
  });
  it('sriov-nic, pre-v3 reading: the PF and its VFs form one pci_reachable_set() and one group, and I13 holds', () => {
    const t = builtin('sriov-nic');
    const g = deriveGroupsSwitchGroups(t, PRE_V3);
    expect(partition(g)).toEqual([['00:01.0'], ['01:00.0', '01:02.0', '01:02.1']]);
    expect(g.assumptionUsed).toBe(false);
    expect(checkGroupingSoundness(t, g)).toBeNull();
  });
  it('sriov-nic-acs: separate groups under both readings, I13 holds', () => {
    const t = builtin('sriov-nic-acs');
    for (const g of [deriveGroupsSwitchGroups(t), deriveGroupsSwitchGroups(t, PRE_V3)]) {
      expect(partition(g)).toEqual([['00:01.0'], ['01:00.0'], ['01:02.0'], ['01:02.1']]);
      expect(checkGroupingSoundness(t, g)).toBeNull();
    }
  });
  it('a PF with an ACS capability but RR off loops back under v3 as well: PF and VFs share a group', () => {
    expect(partition(deriveGroupsSwitchGroups(sriovTopo({ cap: ['RR', 'CR', 'UF'], ctrl: [] })))).toEqual([['00:01.0'], ['01:00.0', '01:02.0', '01:02.1']]);
  });
  it('"SRIOV VFs will use the group of the PF if it has BUS_DATA_PCI_NON_ISOLATED" (06/11): an isolated PF in a non-isolated MFD group takes its VF along', () => {
    const t = topo({
      name: 'mfd-pf',
      rootPorts: [{ name: 'rp', bdf: '00:01.0', acs: ISOLATED }],
      endpoints: [{ name: 'e', parent: 'rp', functions: [{ bdf: '01:00.0', acs: PF_ACS }, { bdf: '01:00.1', acs: { cap: ['RR', 'CR'], ctrl: [] } }, { bdf: '01:02.0', physfn: '01:00.0' }] }],
    });
    const g = deriveGroupsSwitchGroups(t);
    expect(partition(g)).toEqual([['00:01.0'], ['01:00.0', '01:00.1', '01:02.0']]);
    expect(g.why['01:02.0']).toMatch(/SR-IOV VF of 01:00\.0, whose group \d carries BUS_DATA_PCI_NON_ISOLATED/);
  });
});

describe('pci_enable_pasid for a VF ("VFs share the PF PASID configuration")', () => {
  const t = sriovTopo(PF_ACS, ISOLATED, {}, { ats: true, pasid: true });
  it('-EINVAL while the PF has PASID disabled, even though the PF itself could enable it', () => {
    expect(pciEnablePasid(t, [], 'vf0')).toMatchObject({ ok: false, errno: 'EINVAL', reason: expect.stringContaining('PF 01:00.0') });
    expect(pciEnablePasid(t, [], 'pf')).toEqual({ ok: true, next: ['01:00.0'] });
  });
  it('0 once the PF has it, without marking the VF enabled (no -EBUSY on a second call)', () => {
    expect(pciEnablePasid(t, ['01:00.0'], 'vf0')).toEqual({ ok: true, next: ['01:00.0'] });
    expect(pciEnablePasid(t, ['01:00.0'], 'vf0').ok).toBe(true);
  });
});
