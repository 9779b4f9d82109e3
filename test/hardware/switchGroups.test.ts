/**
 * The pcie_switch_groups v3 per-bus grouping (pci_bus_isolated(), the new
 * pci_device_group()), against mainline pci_device_group and the I13 soundness check.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FunctionSpec, Topology, TopologySpec } from '../../src/hardware/index.ts';
import { builtinTopologies, checkGroupingSoundness, deriveGroups, deriveGroupsSwitchGroups, pciBusIsolated } from '../../src/hardware/index.ts';
import { ISOLATED, switchTopo, topo } from './helpers.ts';

type Acs = FunctionSpec['acs'];
const ACS_OFF: Acs = { cap: ['SV', 'RR', 'CR', 'UF'], ctrl: [] };
const PRE_V3 = { assumeNoLoopbackWithoutAcsCap: false };
const builtin = (name: string): Topology => builtinTopologies[name]!;
const partition = (g: { groups: readonly { devices: readonly string[] }[] }) => g.groups.map((x) => x.devices);

describe('pci_bus_isolated() on a PCIe switch interior bus', () => {
  it('downstream ports without an ACS capability: PCIE_NON_ISOLATED, both endpoints share one group (mainline gives two) and I13 holds', () => {
    const t = builtin('switch-no-acs');
    const g = deriveGroupsSwitchGroups(t);
    expect(g.groupOf['03:00.0']).toBe(g.groupOf['04:00.0']);
    expect(deriveGroups(t).groupOf['03:00.0']).not.toBe(deriveGroups(t).groupOf['04:00.0']);
    expect(checkGroupingSoundness(t, g)).toBeNull();
    // 11/11: pci_acs_enabled(dsp, PCI_ACS_USP_MT_RR) is false without a capability, so the USP joins.
    expect(g.busIsolation['02']).toBe('PCIE_NON_ISOLATED');
    expect(partition(g)).toEqual([['00:01.0'], ['01:00.0', '02:08.0', '02:10.0', '03:00.0', '04:00.0']]);
    expect(g.why['02:08.0']).toMatch(/^bus 02 PCIE_NON_ISOLATED: joins group \d of bus->self 01:00.0/);
    expect(g.why['03:00.0']).toMatch(/^pci_hierarchy_group\(\): bus->self 02:08.0/);
  });

  it('downstream ports with ACS capability but SV|RR|CR|UF off: PCIE_SWITCH_DSP_NON_ISOLATED, everything below the DSPs one group, USP excluded', () => {
    const t = builtin('switch-acs-disabled');
    const g = deriveGroupsSwitchGroups(t);
    expect(g.busIsolation['02']).toBe('PCIE_SWITCH_DSP_NON_ISOLATED');
    expect(partition(g)).toEqual([['00:01.0'], ['01:00.0'], ['02:08.0', '02:10.0', '03:00.0', '04:00.0']]);
    expect(g.why['02:10.0']).toMatch(/^bus 02 PCIE_SWITCH_DSP_NON_ISOLATED: joins group \d of 02:08.0 on the same bus/);
    expect(checkGroupingSoundness(t, g)).toBeNull();
  });

  it('downstream ports with ACS SV|RR|CR|UF enabled: PCIE_ISOLATED, each endpoint keeps its own group', () => {
    const g = deriveGroupsSwitchGroups(builtin('switch-acs'));
    expect(Object.values(g.busIsolation).every((v) => v === 'PCIE_ISOLATED')).toBe(true);
    expect(partition(g)).toEqual([['00:01.0'], ['01:00.0'], ['02:08.0'], ['02:10.0'], ['03:00.0'], ['04:00.0']]);
  });

  it('asymmetric ACS: one non-isolated downstream port spoils the whole bus', () => {
    const t = topo({
      name: 'asym',
      rootPorts: [{ name: 'rp', bdf: '00:01.0', acs: ISOLATED }],
      switches: [{ name: 'sw', parent: 'rp', upstream: { bdf: '01:00.0' }, ports: [{ name: 'dp0', bdf: '02:00.0', acs: ISOLATED }, { name: 'dp1', bdf: '02:01.0', acs: ACS_OFF }] }],
      endpoints: [{ name: 'a', parent: 'dp0', functions: [{ bdf: '03:00.0' }] }, { name: 'b', parent: 'dp1', functions: [{ bdf: '04:00.0' }] }],
    });
    expect(partition(deriveGroupsSwitchGroups(t))).toEqual([['00:01.0'], ['01:00.0'], ['02:00.0', '02:01.0', '03:00.0', '04:00.0']]);
  });

  it('a downstream port with a dma_alias_mask makes the switch bus PCIE_NON_ISOLATED ("be conservative")', () => {
    expect(pciBusIsolated(switchTopo(ISOLATED), 2)).toBe('PCIE_ISOLATED');
    const aliased = topo({
      name: 'dsp-alias',
      rootPorts: [{ name: 'rp', bdf: '00:01.0', acs: ISOLATED }],
      switches: [{ name: 'sw', parent: 'rp', upstream: { bdf: '01:00.0' }, ports: [{ name: 'dp0', bdf: '02:00.0', acs: ISOLATED, dmaAliases: ['01.0'] }, { name: 'dp1', bdf: '02:01.0', acs: ISOLATED }] }],
    });
    expect(pciBusIsolated(aliased, 2)).toBe('PCIE_NON_ISOLATED');
  });
});

describe('pci_bus_isolated() below a root port', () => {
  it('a root port with an ACS capability but not isolated: PCIE_NON_ISOLATED, the root port joins the group below it', () => {
    const g = deriveGroupsSwitchGroups(switchTopo(ISOLATED, {}, ACS_OFF));
    expect(g.busIsolation['01']).toBe('PCIE_NON_ISOLATED');
    expect(partition(g)).toEqual([['00:01.0', '01:00.0', '02:00.0', '02:01.0', '03:00.0', '04:00.0']]);
  });

  it('a root port without an ACS capability is PCIE_ISOLATED under v3 (no loopback assumed; mainline groups it with its children)', () => {
    const t = switchTopo(ISOLATED, {}, null);
    const g = deriveGroupsSwitchGroups(t);
    expect(g.busIsolation['01']).toBe('PCIE_ISOLATED');
    expect(g.groups).toHaveLength(6);
    expect(g.assumptionUsed).toBe(true);
    expect(g.why['01:00.0']).toMatch(/no loopback assumed with 00:01.0/);
    expect(deriveGroups(t).groups).toHaveLength(1);
  });

  it('the same assumption at the root port breaks I13 here: a root port without ACS UF reflects the request back down', () => {
    const t = switchTopo(ISOLATED, {}, null);
    expect(checkGroupingSoundness(t, deriveGroupsSwitchGroups(t))).toMatch(/^I13 broken: 03:00.0 .* reaches 04:00.0 .*00:01.0:reflect-down/);
    const pre = deriveGroupsSwitchGroups(t, PRE_V3);
    expect(pre.busIsolation['01']).toBe('PCIE_NON_ISOLATED');
    expect(partition(pre)).toEqual([['00:01.0', '01:00.0', '02:00.0', '02:01.0', '03:00.0', '04:00.0']]);
    expect(checkGroupingSoundness(t, pre)).toBeNull();
  });
});

describe('pci_bus_isolated() on conventional PCI', () => {
  it('behind a PCIe-to-PCI bridge without MMIO: PCI_BUS_NON_ISOLATED, the conventional devices share one group and the bridge is left out', () => {
    const t = builtin('pcie-to-pci-bridge');
    const g = deriveGroupsSwitchGroups(t);
    expect(g.busIsolation['02']).toBe('PCI_BUS_NON_ISOLATED');
    expect(partition(g)).toEqual([['00:1c.0'], ['01:00.0'], ['02:00.0', '02:01.0']]);
    expect(checkGroupingSoundness(t, g)).toBeNull();
  });

  it('a PCIe-to-PCI bridge with MMIO: PCI_BRIDGE_NON_ISOLATED, the bridge is in the group', () => {
    const t = topo({
      name: 'br-mmio',
      rootPorts: [{ name: 'rp', bdf: '00:1c.0', acs: ISOLATED }],
      bridges: [{ name: 'br', parent: 'rp', bdf: '01:00.0', bars: [{ base: 0xc0100000, size: 0x1000 }], devices: [{ bdf: '02:00.0' }, { bdf: '02:01.0' }] }],
    });
    const g = deriveGroupsSwitchGroups(t);
    expect(g.busIsolation['02']).toBe('PCI_BRIDGE_NON_ISOLATED');
    expect(partition(g)).toEqual([['00:1c.0'], ['01:00.0', '02:00.0', '02:01.0']]);
  });

  it('a conventional PCI-to-PCI bridge: PCI_BRIDGE_NON_ISOLATED unless PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS', () => {
    const spec = (flags: { pcieBridgeAlias?: boolean }): TopologySpec => ({
      name: 'pci-br',
      rootPorts: [{ name: 'rp', bdf: '00:1c.0', acs: ISOLATED }],
      bridges: [{ name: 'br', parent: 'rp', bdf: '01:00.0', kind: 'pci_bridge', flags, devices: [{ bdf: '02:00.0' }] }],
    });
    expect(pciBusIsolated(topo(spec({})), 2)).toBe('PCI_BRIDGE_NON_ISOLATED');
    expect(pciBusIsolated(topo(spec({ pcieBridgeAlias: true })), 2)).toBe('PCI_BUS_NON_ISOLATED');
  });
});

describe('pci_mfds_are_same_group() and assumeNoLoopbackWithoutAcsCap', () => {
  it('multifunction functions without an ACS capability get separate groups under v3 (assumptionUsed) and one group without the assumption', () => {
    const t = builtin('multifunction-no-acs');
    const v3 = deriveGroupsSwitchGroups(t);
    expect(v3.groupOf['01:00.0']).not.toBe(v3.groupOf['01:00.1']);
    expect(v3.assumptionUsed).toBe(true);
    expect(v3.why['01:00.0']).toMatch(/no loopback assumed with 01:00.1/);
    const pre = deriveGroupsSwitchGroups(t, PRE_V3);
    expect(pre.groupOf['01:00.0']).toBe(pre.groupOf['01:00.1']);
    expect(pre.assumptionUsed).toBe(false);
  });

  it('the disputed assumption breaks I13 in this model, whose router lets a function without ACS RR reach its siblings', () => {
    const t = builtin('multifunction-no-acs');
    expect(checkGroupingSoundness(t, deriveGroupsSwitchGroups(t))).toMatch(/^I13 broken: 01:00.0 .* reaches 01:00.1 .*peer-internal/);
    expect(checkGroupingSoundness(t, deriveGroupsSwitchGroups(t, PRE_V3))).toBeNull();
  });

  it('an ACS quirk (pci_quirk_mf_endpoint_acs) splits the functions without relying on the assumption', () => {
    const g = deriveGroupsSwitchGroups(builtin('multifunction-quirk'));
    expect(partition(g)).toEqual([['00:1c.0'], ['01:00.0'], ['01:00.1']]);
    expect(g.assumptionUsed).toBe(false);
  });

  it('a function with an ACS capability that is not isolated pulls in its siblings, whatever the assumption', () => {
    const t = topo({ name: 'mix', rootPorts: [{ name: 'rp', bdf: '00:1c.0', acs: ISOLATED }], endpoints: [{ name: 'e', parent: 'rp', functions: [{ bdf: '01:00.0' }, { bdf: '01:00.1', acs: ACS_OFF }, { bdf: '01:00.2', acs: ISOLATED }] }] });
    for (const g of [deriveGroupsSwitchGroups(t), deriveGroupsSwitchGroups(t, PRE_V3)]) expect(partition(g)).toEqual([['00:1c.0'], ['01:00.0', '01:00.1', '01:00.2']]);
  });

  it('a non-isolated multifunction root port propagates its group downstream through pci_hierarchy_group()', () => {
    const t = builtin('root-port-no-acs');
    const pre = deriveGroupsSwitchGroups(t, PRE_V3);
    expect(partition(pre)).toEqual([['00:1c.0', '00:1c.1', '01:00.0', '02:00.0']]);
    expect(pre.why['01:00.0']).toMatch(/^pci_hierarchy_group\(\): bus->self 00:1c.0/);
    const v3 = deriveGroupsSwitchGroups(t);
    expect(v3.groups).toHaveLength(4);
    expect(v3.assumptionUsed).toBe(true);
  });
});

describe('pci_reachable_set() with DMA aliases', () => {
  it('devices that alias each other on a PCIE_ISOLATED bus share one non-isolated group', () => {
    const t = topo({ name: 'al', integrated: [{ bdf: '00:02.0', dmaAliases: ['03.0'] }, { bdf: '00:03.0' }, { bdf: '00:04.0' }] });
    const g = deriveGroupsSwitchGroups(t);
    expect(partition(g)).toEqual([['00:02.0', '00:03.0'], ['00:04.0']]);
    expect(g.why['00:03.0']).toMatch(/pci_reachable_set\(\) \{00:02.0\}.*joins group/);
  });
});

// Random topologies, laid out like test/hardware/groupingSoundness.test.ts (a smaller copy).
const ACS_CHOICES: Acs[] = [null, ISOLATED, ACS_OFF, { cap: ['SV', 'RR', 'CR', 'UF'], ctrl: ['RR', 'UF'] }];
const acsArb = fc.constantFrom(...ACS_CHOICES);
const epArb = fc.array(acsArb, { minLength: 1, maxLength: 2 });
type Child = { kind: 'endpoint'; fns: Acs[] } | { kind: 'switch'; dps: { acs: Acs; fns: Acs[] }[] } | { kind: 'bridge'; devices: number };
const childArb: fc.Arbitrary<Child> = fc.oneof(
  epArb.map((fns) => ({ kind: 'endpoint' as const, fns })),
  fc.array(fc.record({ acs: acsArb, fns: epArb }), { minLength: 1, maxLength: 3 }).map((dps) => ({ kind: 'switch' as const, dps })),
  fc.integer({ min: 1, max: 2 }).map((devices) => ({ kind: 'bridge' as const, devices })),
);
const shapeArb = fc.array(fc.record({ acs: acsArb, child: fc.option(childArb, { nil: null }) }), { minLength: 1, maxLength: 2 });

function toTopology(shape: { acs: Acs; child: Child | null }[]): Topology {
  const spec: TopologySpec & Required<Pick<TopologySpec, 'rootPorts' | 'switches' | 'endpoints' | 'bridges'>> = { name: 'random', rootPorts: [], switches: [], endpoints: [], bridges: [] };
  let bus = 1;
  let bar = 0xa0000000;
  const h = (n: number) => n.toString(16).padStart(2, '0');
  const fns = (list: Acs[], b: number) => list.map((acs, f) => ({ bdf: `${h(b)}:00.${f}`, acs, bars: [{ base: (bar += 0x100000), size: 0x100000 }] }));
  shape.forEach((rp, i) => {
    spec.rootPorts.push({ name: `rp${i}`, bdf: `00:${h(0x1c + i)}.0`, acs: rp.acs });
    const c = rp.child;
    if (c?.kind === 'endpoint') spec.endpoints.push({ name: `ep${i}`, parent: `rp${i}`, functions: fns(c.fns, bus++) });
    if (c?.kind === 'bridge') {
      spec.bridges.push({ name: `br${i}`, parent: `rp${i}`, bdf: `${h(bus)}:00.0`, devices: Array.from({ length: c.devices }, (_, d) => ({ bdf: `${h(bus + 1)}:${h(d)}.0`, bars: [{ base: (bar += 0x100000), size: 0x100000 }] })) });
      bus += 2;
    }
    if (c?.kind === 'switch') {
      const [usp, inner] = [bus++, bus++];
      spec.switches.push({ name: `sw${i}`, parent: `rp${i}`, upstream: { bdf: `${h(usp)}:00.0` }, ports: c.dps.map((dp, j) => ({ name: `sw${i}dp${j}`, bdf: `${h(inner)}:${h(j)}.0`, acs: dp.acs })) });
      c.dps.forEach((dp, j) => spec.endpoints.push({ name: `sw${i}ep${j}`, parent: `sw${i}dp${j}`, functions: fns(dp.fns, bus++) }));
    }
  });
  return topo(spec);
}

describe('pcie_switch_groups v3 over random topologies (fast-check seed 20261204)', () => {
  const SEED = 20261204;

  it('without the no-ACS-capability loopback assumption the per-bus grouping is I13-sound (non-ACS ports, mixed multifunction ACS, bridges)', () => {
    fc.assert(
      fc.property(shapeArb, (shape) => {
        const t = toTopology(shape);
        const reason = checkGroupingSoundness(t, deriveGroupsSwitchGroups(t, PRE_V3));
        if (reason) throw new Error(reason);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('with the v3 assumption every I13 failure comes with assumptionUsed', () => {
    fc.assert(
      fc.property(shapeArb, (shape) => {
        const t = toTopology(shape);
        const g = deriveGroupsSwitchGroups(t);
        if (checkGroupingSoundness(t, g) !== null && !g.assumptionUsed) throw new Error('I13 broken without the assumption');
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('with the v3 assumption I13 does fail, on a multifunction function or root port without an ACS capability', () => {
    const out = fc.check(
      fc.property(shapeArb, (shape) => {
        const t = toTopology(shape);
        return checkGroupingSoundness(t, deriveGroupsSwitchGroups(t)) === null;
      }),
      { seed: SEED, numRuns: 150 },
    );
    expect(out.failed).toBe(true);
    const t = toTopology(out.counterexample![0]);
    expect(deriveGroupsSwitchGroups(t).assumptionUsed).toBe(true);
    expect(t.devices.some((d) => d.acs === null && (d.multifunction || d.kind === 'root_port'))).toBe(true);
  });
});
