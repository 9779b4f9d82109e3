/** Test helpers: build a Topology from a TopologySpec literal or an lspci fixture, or fail loudly. */
import { readFileSync } from 'node:fs';
import { buildTopology, parseLspci } from '../../src/hardware/index.ts';
import type { FunctionSpec, Topology, TopologySpec } from '../../src/hardware/index.ts';

export const ISOLATED: FunctionSpec['acs'] = { cap: ['SV', 'RR', 'CR', 'UF'], ctrl: ['SV', 'RR', 'CR', 'UF'] };

export function topo(spec: TopologySpec): Topology {
  const r = buildTopology(spec);
  if (!r.ok) throw new Error(`${r.problem.path}: expected ${r.problem.expected}, got ${r.problem.got}`);
  return r.topology;
}

/** A root port with one switch of two downstream ports, an endpoint under each; ACS per port. */
export function switchTopo(dpAcs: FunctionSpec['acs'], extra: Partial<FunctionSpec> = {}, rpAcs: FunctionSpec['acs'] = ISOLATED): Topology {
  return topo({
    name: 't',
    rootPorts: [{ name: 'rp0', bdf: '00:01.0', acs: rpAcs }],
    switches: [{ name: 'sw', parent: 'rp0', upstream: { bdf: '01:00.0' }, ports: [{ name: 'dp0', bdf: '02:00.0', acs: dpAcs }, { name: 'dp1', bdf: '02:01.0', acs: dpAcs }] }],
    endpoints: [
      { name: 'a', parent: 'dp0', functions: [{ bdf: '03:00.0', bars: [{ base: 0xa0000000, size: 0x100000 }], ...extra }] },
      { name: 'b', parent: 'dp1', functions: [{ bdf: '04:00.0', bars: [{ base: 0xa0200000, size: 0x100000 }] }] },
    ],
  });
}

/** Parses a fixture under test/fixtures/lspci, or fails loudly. */
export function loadLspciFixture(file: string) {
  const r = parseLspci(readFileSync(new URL(`../fixtures/lspci/${file}`, import.meta.url), 'utf8'), file);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}
