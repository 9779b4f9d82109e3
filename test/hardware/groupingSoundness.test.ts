/**
 * I13 grouping soundness: any two devices that reach each other's BARs without the
 * IOMMU are in one group. Checked on every builtin, and as fast-check properties over
 * random topologies with a fixed, printed seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FunctionSpec, TopologySpec } from '../../src/hardware/index.ts';
import { BUILTIN_TOPOLOGY_NAMES, builtinTopologies, checkGroupingSoundness, deriveGroups, deriveGroupsWithAcsOverride } from '../../src/hardware/index.ts';
import { ISOLATED, topo } from './helpers.ts';

const SEED = Number(process.env.FC_SEED ?? 20250630);
const RUNS = process.env.CI ? 300 : 150;

type Acs = FunctionSpec['acs'];
const ACS_CHOICES: Acs[] = [null, ISOLATED, { cap: ['SV', 'RR', 'CR', 'UF'], ctrl: [] }, { cap: ['SV', 'RR', 'CR', 'UF'], ctrl: ['RR', 'UF'] }, { cap: ['SV', 'RR', 'CR', 'UF'], ctrl: ['SV', 'RR', 'CR'] }];
const acsArb = fc.constantFrom(...ACS_CHOICES);

interface EpShape { fnAcs: Acs[] }
type Child = { kind: 'endpoint'; ep: EpShape } | { kind: 'switch'; dps: { acs: Acs; ep: EpShape }[] } | { kind: 'bridge'; devices: number };
interface RpShape { acs: Acs; child: Child | null }

const epArb = (uniformMf: boolean): fc.Arbitrary<EpShape> =>
  uniformMf
    ? fc.record({ n: fc.integer({ min: 1, max: 2 }), acs: acsArb }).map(({ n, acs }) => ({ fnAcs: Array.from({ length: n }, () => acs) }))
    : fc.record({ fnAcs: fc.array(acsArb, { minLength: 1, maxLength: 2 }) });

/** Random topologies: 1-2 root ports, each with nothing, an endpoint, a switch, or a PCIe-to-PCI bridge. */
function topologyArb(opts: { dpAcs?: Acs; uniformMf: boolean }): fc.Arbitrary<RpShape[]> {
  const child: fc.Arbitrary<Child> = fc.oneof(
    epArb(opts.uniformMf).map((ep) => ({ kind: 'endpoint' as const, ep })),
    fc.array(fc.record({ acs: opts.dpAcs !== undefined ? fc.constant(opts.dpAcs) : acsArb, ep: epArb(opts.uniformMf) }), { minLength: 1, maxLength: 3 }).map((dps) => ({ kind: 'switch' as const, dps })),
    fc.integer({ min: 1, max: 2 }).map((devices) => ({ kind: 'bridge' as const, devices })),
  );
  return fc.array(fc.record({ acs: acsArb, child: fc.option(child, { nil: null }) }), { minLength: 1, maxLength: 2 });
}

/** Lays out a shape as a topology file: bus numbers and BARs assigned in order. */
function toSpec(shape: RpShape[]): TopologySpec {
  const spec: Required<Pick<TopologySpec, 'rootPorts' | 'switches' | 'endpoints' | 'bridges'>> & TopologySpec = { name: 'random', rootPorts: [], switches: [], endpoints: [], bridges: [] };
  let bus = 1;
  let bar = 0xa0000000;
  const hex2 = (n: number) => n.toString(16).padStart(2, '0');
  const fns = (ep: EpShape, b: number) => ep.fnAcs.map((acs, f) => ({ bdf: `${hex2(b)}:00.${f}`, acs, bars: [{ base: (bar += 0x100000), size: 0x100000 }] }));
  shape.forEach((rp, i) => {
    const rpName = `rp${i}`;
    spec.rootPorts.push({ name: rpName, bdf: `00:${hex2(0x1c + i)}.0`, acs: rp.acs });
    const c = rp.child;
    if (!c) return;
    if (c.kind === 'endpoint') spec.endpoints.push({ name: `ep${i}`, parent: rpName, functions: fns(c.ep, bus++) });
    else if (c.kind === 'bridge') {
      const b = bus++;
      spec.bridges.push({ name: `br${i}`, parent: rpName, bdf: `${hex2(b)}:00.0`, devices: Array.from({ length: c.devices }, (_, d) => ({ bdf: `${hex2(bus)}:${hex2(d)}.0`, bars: [{ base: (bar += 0x100000), size: 0x100000 }] })) });
      bus++;
    } else {
      const usp = bus++;
      const inner = bus++;
      spec.switches.push({ name: `sw${i}`, parent: rpName, upstream: { bdf: `${hex2(usp)}:00.0` }, ports: c.dps.map((dp, j) => ({ name: `sw${i}dp${j}`, bdf: `${hex2(inner)}:${hex2(j)}.0`, acs: dp.acs })) });
      c.dps.forEach((dp, j) => spec.endpoints.push({ name: `sw${i}ep${j}`, parent: `sw${i}dp${j}`, functions: fns(dp.ep, bus++) }));
    }
  });
  return spec;
}

describe('I13 grouping soundness on the builtin topologies', () => {
  const SWITCH: [string, RegExp] = ['non-ACS switch downstream ports get separate groups', /^I13 broken: 03:00.0 \(group \d\) reaches 04:00.0/];
  const expectedBroken: Record<string, [string, RegExp]> = {
    'switch-no-acs': SWITCH,
    'switch-acs-disabled': SWITCH,
    'sva-switch': SWITCH,
    'sriov-nic': ['SR-IOV PF without ACS RR and its VFs get separate groups', /^I13 broken: 01:00.0 \(group \d\) reaches 01:02.0/],
  };
  for (const name of BUILTIN_TOPOLOGY_NAMES) {
    const broken = expectedBroken[name];
    it(`${name}: mainline pci_device_group ${broken ? `breaks I13 (${broken[0]})` : 'is sound'}`, () => {
      const reason = checkGroupingSoundness(builtinTopologies[name]!);
      if (broken) expect(reason).toMatch(broken[1]);
      else expect(reason).toBeNull();
    });
  }
});

describe(`I13 grouping soundness over random topologies (fast-check seed ${SEED})`, () => {
  it('mainline pci_device_group is sound when switch downstream ports are ACS-isolated and multifunction ACS is uniform', () => {
    fc.assert(
      fc.property(topologyArb({ dpAcs: ISOLATED, uniformMf: true }), (shape) => {
        const t = topo(toSpec(shape));
        const reason = checkGroupingSoundness(t, deriveGroups(t));
        if (reason) throw new Error(reason);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('the ACS override variant breaks I13 and fast-check shrinks to a minimal topology', () => {
    const out = fc.check(
      fc.property(topologyArb({ uniformMf: false }), (shape) => {
        const t = topo(toSpec(shape));
        return checkGroupingSoundness(t, deriveGroupsWithAcsOverride(t)) === null;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(out.failed).toBe(true);
    const t = topo(toSpec(out.counterexample![0]));
    // Minimal: one root port and either a two-function endpoint or a switch with two ports.
    expect(t.devices.length).toBeLessThanOrEqual(6);
    expect(checkGroupingSoundness(t, deriveGroupsWithAcsOverride(t))).toMatch(/^I13 broken/);
    expect(checkGroupingSoundness(t, deriveGroups(t))).toBeNull();
  });

  it('unrestricted, mainline pci_device_group also breaks I13, on a non-ACS switch or a mixed-ACS multifunction device', () => {
    const out = fc.check(
      fc.property(topologyArb({ uniformMf: false }), (shape) => {
        const t = topo(toSpec(shape));
        return checkGroupingSoundness(t, deriveGroups(t)) === null;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(out.failed).toBe(true);
    const t = topo(toSpec(out.counterexample![0]));
    expect(t.devices.length).toBeLessThanOrEqual(6);
    const kinds = t.devices.map((d) => d.kind);
    expect(kinds.includes('downstream_port') || t.devices.some((d) => d.multifunction)).toBe(true);
  });
});
