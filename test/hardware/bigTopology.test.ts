/**
 * Large topologies (issue 18, B6): the 1,024-function topology of the report gives a report with
 * the expected counts (no timing is asserted; bench/topology.ts measures), and the reachability
 * matrix, which routes each requester once and only the targets its route looked at one by one,
 * equals routing every pair on its own: on the built-ins, the fixtures and random topologies.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AcsPolicy, FunctionSpec, PeerProbe, ReachCell, Topology, TopologySpec } from '../../src/hardware/index.ts';
import {
  BRIDGE_KINDS,
  BUILTIN_TOPOLOGY_NAMES,
  KERNEL_ACS_POLICY,
  checkGroupingSoundness,
  deriveGroups,
  getBuiltinTopology,
  parseLspci,
  peerReach,
  reachabilityMatrix,
  reachabilitySummary,
} from '../../src/hardware/index.ts';
import { buildTopologyReport } from '../../src/report/topology.ts';
import { bigTopologyCounts, bigTopologySpec } from './bigTopology.ts';
import { run } from '../helpers/cli.ts';
import { ISOLATED, topo } from './helpers.ts';

const SEED = Number(process.env.FC_SEED ?? 20261204);
const RUNS = process.env.CI ? 200 : 100;

/** The matrix as it was computed before: peerReach for every pair. */
function naiveMatrix(t: Topology, probe: PeerProbe = {}, policy: AcsPolicy = KERNEL_ACS_POLICY): ReachCell[] {
  const out: ReachCell[] = [];
  for (const a of t.devices.filter((d) => !BRIDGE_KINDS.includes(d.kind))) {
    for (const b of t.devices) {
      if (a === b || b.bars.length === 0) continue;
      const r = peerReach(t, a.bdf, b.bdf, probe, policy);
      const path = r.bypassesIommu ? 'p2p' : r.outcome?.kind === 'iommu' ? 'iommu' : r.outcome?.kind === 'blocked' ? 'blocked' : 'none';
      out.push({ from: a.bdf, to: b.bdf, path, route: r.route.map((h) => h.at) });
    }
  }
  return out;
}

/** I13 as it was computed before: the first pair in matrix order, in two groups, that bypasses the IOMMU. */
function naiveSoundness(t: Topology): string | null {
  const g = deriveGroups(t);
  const first = naiveMatrix(t).find((c) => c.path === 'p2p' && g.groupOf[c.from] !== g.groupOf[c.to]);
  return first ? `${first.from} ${first.to}` : null;
}

const PROBES: PeerProbe[] = [{}, { translated: true }, { pasid: 1 }];
const POLICIES: AcsPolicy[] = [KERNEL_ACS_POLICY, { ...KERNEL_ACS_POLICY, assumeUnknown: 'enabled' }];

function expectSameAsNaive(t: Topology): void {
  for (const probe of PROBES) for (const policy of POLICIES) expect(reachabilityMatrix(t, probe, policy)).toEqual(naiveMatrix(t, probe, policy));
  const full = naiveMatrix(t);
  const summary = reachabilitySummary(t);
  expect(summary.cells).toEqual(full.filter((c) => c.path !== 'iommu'));
  expect(summary.counts.iommu + summary.counts.p2p + summary.counts.blocked + summary.counts.none).toBe(full.length);
  expect(summary.requesters).toEqual([...new Set(full.map((c) => c.from))]);
  expect(summary.targets).toEqual([...new Set(full.map((c) => c.to))].sort());
  const pair = (reason: string | null) => (reason === null ? null : /^I13 broken: (\S+) .* reaches (\S+) /.exec(reason)!.slice(1).join(' '));
  expect(pair(checkGroupingSoundness(t))).toBe(naiveSoundness(t));
  expect(pair(checkGroupingSoundness(t, deriveGroups(t), KERNEL_ACS_POLICY, summary))).toBe(naiveSoundness(t));
}

describe('the 1,024-function topology of issue 18 (32 root ports, a switch of 4 ports each, an 8-function endpoint per port)', () => {
  it('without ACS: 32 groups, 31,744 peer-to-peer paths inside the switches, I13 holds, and every function can forge the RIDs of the 31 other groups', () => {
    const t = topo(bigTopologySpec(32));
    expect(bigTopologyCounts(32)).toEqual({ functions: 1216, endpointFunctions: 1024, bridges: 192 });
    expect(t.devices).toHaveLength(1216);
    const report = buildTopologyReport({ topology: t, source: 'file', ridCrossingLimit: 12 });
    expect(report.groups).toHaveLength(32);
    expect(report.groupingSoundness).toBeNull();
    expect(report.reachability.requesters).toHaveLength(1024);
    expect(report.reachability.targets).toHaveLength(1024);
    expect(report.reachability.counts).toEqual({ p2p: 32 * 32 * 31, iommu: 1024 * 1023 - 32 * 32 * 31, blocked: 0, none: 0 });
    expect(report.ridCrossings).toHaveLength(12);
    expect(report.ridCrossingCount).toBe(1024 * (1216 - 38));
    expect(report.verdict.ok).toBe(true);
  }, 120_000);
  it('with ACS SV RR CR UF on every port: each multifunction endpoint is a group, only its functions reach each other, no RID crossing', () => {
    const t = topo(bigTopologySpec(32, ISOLATED));
    const report = buildTopologyReport({ topology: t, source: 'file' });
    expect(report.groups.filter((g) => g.devices.length === 8)).toHaveLength(128);
    expect(report.groupingSoundness).toBeNull();
    expect(report.reachability.counts).toEqual({ p2p: 128 * 8 * 7, iommu: 1024 * 1023 - 128 * 8 * 7, blocked: 0, none: 0 });
    expect(report.ridCrossingCount).toBe(0);
  }, 120_000);
  it('a small one has the same matrix as routing every pair on its own', () => {
    expectSameAsNaive(topo(bigTopologySpec(2)));
    expectSameAsNaive(topo(bigTopologySpec(2, ISOLATED)));
  }, 60_000);
});

describe('reachability routes only what can differ, and gives what routing every pair gives', () => {
  it('on every built-in topology and every lspci fixture', () => {
    for (const n of BUILTIN_TOPOLOGY_NAMES) expectSameAsNaive(getBuiltinTopology(n)!);
    const dir = new URL('../fixtures/lspci/', import.meta.url);
    for (const f of readdirSync(dir)) {
      const r = parseLspci(readFileSync(new URL(f, dir), 'utf8'), f);
      if (!r.ok) throw new Error(r.error.message);
      expectSameAsNaive(r.value.topology);
    }
  }, 120_000);

  type Acs = FunctionSpec['acs'];
  const ACS: Acs[] = [null, 'unknown', ISOLATED, { cap: ['SV', 'RR', 'CR', 'UF'], ctrl: ['RR'] }, { cap: ['SV', 'RR', 'UF', 'EC', 'TB', 'DT'], ctrl: ['SV', 'RR', 'EC', 'TB', 'DT'] }, { cap: ['RR', 'UF'], ctrl: ['UF'] }];
  const acs = fc.constantFrom(...ACS);
  const fnShape = fc.record({ acs, bars: fc.integer({ min: 0, max: 2 }) });
  const below = fc.oneof(
    fc.record({ kind: fc.constant('endpoint' as const), fns: fc.array(fnShape, { minLength: 1, maxLength: 3 }), vf: fc.boolean() }),
    fc.record({ kind: fc.constant('switch' as const), uspBar: fc.boolean(), dps: fc.array(fc.record({ acs, fns: fc.array(fnShape, { minLength: 1, maxLength: 2 }) }), { minLength: 1, maxLength: 3 }) }),
    fc.record({ kind: fc.constant('bridge' as const), devices: fc.integer({ min: 1, max: 2 }) }),
  );
  const shapeArb = fc.record({
    rootPorts: fc.array(fc.record({ acs, slotMate: fc.boolean(), child: fc.option(below, { nil: null }) }), { minLength: 1, maxLength: 3 }),
    integrated: fc.integer({ min: 0, max: 2 }),
    rcPeerToPeer: fc.boolean(),
    addressOrder: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 64, maxLength: 64 }),
  });
  type Shape = typeof shapeArb extends fc.Arbitrary<infer S> ? S : never;

  /** Lays a shape out as a topology file; BAR addresses are handed out in a shuffled order, so windows may hold other subtrees' BARs. */
  function toSpec(shape: Shape): TopologySpec {
    const pool = Array.from({ length: 64 }, (_, i) => 0x80000000 + i * 0x10000).sort((x, y) => shape.addressOrder[(x >> 16) & 63]! - shape.addressOrder[(y >> 16) & 63]! || x - y);
    const bars = (n: number) => Array.from({ length: n }, () => ({ base: pool.shift()!, size: 0x1000 }));
    const hex2 = (n: number) => n.toString(16).padStart(2, '0');
    const spec: Required<Pick<TopologySpec, 'rootPorts' | 'switches' | 'endpoints' | 'bridges' | 'integrated'>> & TopologySpec = { name: 'random', rcPeerToPeer: shape.rcPeerToPeer, rootPorts: [], switches: [], endpoints: [], bridges: [], integrated: [] };
    let bus = 1;
    const fns = (list: { acs: Acs; bars: number }[], b: number) => list.map((f, i) => ({ bdf: `${hex2(b)}:00.${i}`, acs: f.acs, bars: bars(f.bars) }));
    shape.rootPorts.forEach((rp, i) => {
      const name = `rp${i}`;
      spec.rootPorts.push({ name, bdf: `00:${hex2(i + 1)}.0`, acs: rp.acs });
      if (rp.slotMate) spec.integrated.push({ bdf: `00:${hex2(i + 1)}.1`, kind: 'rc_endpoint', bars: bars(1) });
      const c = rp.child;
      if (c?.kind === 'endpoint') {
        const b = bus++;
        const functions: FunctionSpec[] = fns(c.fns, b);
        if (c.vf) functions.push({ bdf: `${hex2(b)}:02.0`, physfn: `${hex2(b)}:00.0`, bars: bars(1) } as FunctionSpec);
        spec.endpoints.push({ name: `ep${i}`, parent: name, functions });
      } else if (c?.kind === 'switch') {
        const usp = bus++;
        const inner = bus++;
        spec.switches.push({ name: `sw${i}`, parent: name, upstream: { bdf: `${hex2(usp)}:00.0`, bars: c.uspBar ? bars(1) : [] }, ports: c.dps.map((dp, j) => ({ name: `sw${i}dp${j}`, bdf: `${hex2(inner)}:${hex2(j)}.0`, acs: dp.acs })) });
        c.dps.forEach((dp, j) => spec.endpoints.push({ name: `sw${i}ep${j}`, parent: `sw${i}dp${j}`, functions: fns(dp.fns, bus++) }));
      } else if (c?.kind === 'bridge') {
        const b = bus++;
        const sec = bus++;
        spec.bridges.push({ name: `br${i}`, parent: name, bdf: `${hex2(b)}:00.0`, devices: Array.from({ length: c.devices }, (_, d) => ({ bdf: `${hex2(sec)}:${hex2(d)}.0`, bars: bars(1) })) });
      }
    });
    for (let k = 0; k < shape.integrated; k++) spec.integrated.push({ bdf: `00:${hex2(0x10 + k)}.0`, kind: 'rc_endpoint', acs: k === 0 ? null : ISOLATED, bars: bars(1) });
    return spec;
  }

  it(`on random topologies (fast-check seed ${SEED}): root-bus functions, rcPeerToPeer, switches, bridges, SR-IOV, port BARs, ACS unknown, TB/EC/DT`, () => {
    fc.assert(
      fc.property(shapeArb, (shape) => expectSameAsNaive(topo(toSpec(shape)))),
      { seed: SEED, numRuns: RUNS },
    );
  }, 120_000);
});

describe('topology --json on 1,024 functions', () => {
  it('lists the first 10,000 requester-ID crossings and counts all of them (--all-rid-crossings would list 1.2 million)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'iommu-mc-big-')), 'big.json');
    writeFileSync(file, JSON.stringify(bigTopologySpec(32)));
    const r = await run(['topology', file, '--json']);
    const j = JSON.parse(r.stdout);
    expect(j.ridCrossings).toHaveLength(10_000);
    expect(j.ridCrossingCount).toBeGreaterThan(1_000_000);
  });
});
