/**
 * Topology files that cannot describe a machine (issue 18, B3a and B20): a parent cycle, an
 * address the model cannot hold exactly, two BARs claiming the same addresses. Each is one
 * located line; the built-in topologies and the fixtures still load.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_TOPOLOGY_NAMES, getBuiltinTopology, parseTopology } from '../../src/hardware/index.ts';

function refusal(yaml: string): string {
  const r = parseTopology(yaml, 't.yaml');
  if (r.ok) throw new Error('expected the topology to be refused');
  expect(r.error.message).not.toContain('\n');
  return r.error.message;
}

const rp = 'rootPorts: [{ name: rp0, bdf: "00:01.0" }, { name: rp1, bdf: "00:02.0" }]';
const endpoint = (name: string, parent: string, bdf: string, bars: string) => `  - { name: ${name}, parent: ${parent}, functions: [{ bdf: "${bdf}", bars: [${bars}] }] }`;

describe('parent cycles', () => {
  it('a switch whose parent is one of its own downstream ports: the field and the cycle, not a stack overflow', () => {
    const yaml = ['name: c', rp, 'switches:', '  - { name: sw0, parent: dp0, upstream: { bdf: "01:00.0" }, ports: [{ name: dp0, bdf: "02:00.0" }] }'].join('\n');
    expect(refusal(yaml)).toBe('t.yaml: switches[0].parent: expected a parent that is not below this switch itself, got "dp0" (cycle sw0 -> dp0 -> sw0)');
  });
  it('two switches each below the other\'s port', () => {
    const yaml = [
      'name: c',
      rp,
      'switches:',
      '  - { name: sw0, parent: dp1, upstream: { bdf: "01:00.0" }, ports: [{ name: dp0, bdf: "02:00.0" }] }',
      '  - { name: sw1, parent: dp0, upstream: { bdf: "03:00.0" }, ports: [{ name: dp1, bdf: "04:00.0" }] }',
    ].join('\n');
    expect(refusal(yaml)).toBe('t.yaml: switches[0].parent: expected a parent that is not below this switch itself, got "dp1" (cycle sw0 -> dp1 -> sw1 -> dp0 -> sw0)');
  });
  it('a bridge that is its own parent', () => {
    expect(refusal(['name: c', rp, 'bridges: [{ name: b0, parent: b0, bdf: "01:00.0" }]'].join('\n'))).toBe('t.yaml: bridges[0].parent: expected a parent that is not below this bridge itself, got "b0" (cycle b0 -> b0)');
  });
});

describe('addresses', () => {
  it('a BAR base beyond 64 bits is refused, not printed rounded', () => {
    const yaml = ['name: a', rp, 'endpoints:', endpoint('e', 'rp0', '01:00.0', '{ base: "0xffffffffffffffffffffffffffff", size: 4096 }')].join('\n');
    expect(refusal(yaml)).toBe('t.yaml: endpoints[0].functions[0].bars[0].base: expected a value below 2^53 (0x20000000000000; the model computes addresses exactly only below it), got "0xffffffffffffffffffffffffffff" (it does not even fit in 64 bits)');
  });
  it('a 64-bit base from 2^53 up is refused too (a double would round it), and a BAR that ends past 2^53', () => {
    expect(refusal(['name: a', rp, 'endpoints:', endpoint('e', 'rp0', '01:00.0', '{ base: "0xfffffffffffff000", size: 4096 }')].join('\n'))).toContain('bars[0].base: expected a value below 2^53');
    expect(refusal(['name: a', rp, 'endpoints:', endpoint('e', 'rp0', '01:00.0', '{ base: "0x1ffffffffff000", size: 0x2000 }')].join('\n'))).toBe(
      't.yaml: endpoints[0].functions[0].bars[0].size: expected a size that ends the range below 2^53 (0x20000000000000; the model computes addresses exactly only below it), got 8192 from base "0x1ffffffffff000"',
    );
  });
  it('a bridge window beyond 2^53 is refused as well', () => {
    const yaml = ['name: a', 'rootPorts: [{ name: rp0, bdf: "00:01.0", windows: [{ base: "0x100000000000000000", size: 4096 }] }]'].join('\n');
    expect(refusal(yaml)).toContain('t.yaml: rootPorts[0].windows[0].base: expected a value below 2^53');
  });
  it('the largest exact BAR is accepted', () => {
    const r = parseTopology(['name: a', rp, 'endpoints:', endpoint('e', 'rp0', '01:00.0', '{ base: "0x1ffffffffff000", size: 0x1000 }')].join('\n'), 't.yaml');
    expect(r.ok && r.topology.devices.find((d) => d.bdf === '01:00.0')!.bars[0]!.end).toBe(2 ** 53 - 1);
  });
});

describe('overlapping BARs', () => {
  it('identical BARs of two functions name both', () => {
    const yaml = ['name: o', rp, 'endpoints:', endpoint('a', 'rp0', '01:00.0', '{ base: "0xa0000000", size: 4096 }'), endpoint('b', 'rp1', '02:00.0', '{ base: "0xa0000000", size: 4096 }')].join('\n');
    expect(refusal(yaml)).toBe(
      't.yaml: endpoints[1].functions[0].bars[0]: expected a BAR that overlaps no other BAR (two BARs would claim the same addresses), got 0xa0000000-0xa0000fff of b (02:00.0), which overlaps endpoints[0].functions[0].bars[0] 0xa0000000-0xa0000fff of a (01:00.0)',
    );
  });
  it('a BAR inside a larger one, and two BARs of one function', () => {
    const inside = ['name: o', rp, 'endpoints:', endpoint('a', 'rp0', '01:00.0', '{ base: "0xa0000000", size: 0x10000 }'), endpoint('b', 'rp1', '02:00.0', '{ base: "0xa0008000", size: 4096 }')].join('\n');
    expect(refusal(inside)).toContain('endpoints[1].functions[0].bars[0]: expected a BAR that overlaps no other BAR');
    const own = ['name: o', rp, 'endpoints:', endpoint('a', 'rp0', '01:00.0', '{ base: "0xa0000000", size: 0x2000 }, { base: "0xa0001000", size: 0x1000 }')].join('\n');
    expect(refusal(own)).toContain('endpoints[0].functions[0].bars[1]: expected a BAR that overlaps no other BAR (two BARs would claim the same addresses), got 0xa0001000-0xa0001fff of a (01:00.0), which overlaps endpoints[0].functions[0].bars[0]');
  });
  it('adjacent BARs and a bridge window around the BARs below it are fine', () => {
    const yaml = [
      'name: o',
      'rootPorts: [{ name: rp0, bdf: "00:01.0", windows: [{ base: "0xa0000000", size: 0x100000 }] }]',
      'endpoints:',
      endpoint('a', 'rp0', '01:00.0', '{ base: "0xa0000000", size: 4096 }, { base: "0xa0001000", size: 4096 }'),
    ].join('\n');
    expect(parseTopology(yaml, 't.yaml').ok).toBe(true);
  });
});

describe('what loaded before still loads', () => {
  it('every built-in topology and every topology fixture but the deliberately bad one', () => {
    for (const n of BUILTIN_TOPOLOGY_NAMES) expect(getBuiltinTopology(n)?.devices.length).toBeGreaterThan(0);
    const dir = new URL('../fixtures/topologies/', import.meta.url);
    for (const f of readdirSync(dir).filter((x) => x !== 'bad-acs.yaml')) {
      const r = parseTopology(readFileSync(new URL(f, dir), 'utf8'), f);
      expect(r.ok ? 'ok' : r.error.message).toBe('ok');
    }
  });
});
