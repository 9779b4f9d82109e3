import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deriveGroups, parseTopology } from '../../src/hardware/index.ts';

const fixture = (f: string) => readFileSync(new URL(`../fixtures/topologies/${f}`, import.meta.url), 'utf8');

describe('parseTopology', () => {
  it('loads a JSON topology and derives its groups (PCH root port ACS quirk, isolated switch)', () => {
    const r = parseTopology(fixture('two-nics.json'), 'two-nics.json');
    if (!r.ok) throw new Error(r.error.message);
    expect(deriveGroups(r.topology).groups.map((g) => g.devices)).toEqual([['00:1c.0'], ['01:00.0'], ['02:08.0'], ['02:10.0'], ['03:00.0'], ['04:00.0']]);
  });
  it('loads a YAML topology: the SPT quirk isolates the PCH root port, the CPU root port without ACS takes the GPU', () => {
    const r = parseTopology(fixture('gpu-audio.yaml'), 'gpu-audio.yaml');
    if (!r.ok) throw new Error(r.error.message);
    expect(deriveGroups(r.topology).groups.map((g) => g.devices)).toEqual([['00:01.0', '01:00.0', '01:00.1'], ['00:1d.0'], ['02:00.0']]);
  });
  it('names the file, the path and what was expected for a wrong ACS bit', () => {
    const r = parseTopology(fixture('bad-acs.yaml'), 'bad-acs.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toBe('bad-acs.yaml: switches[0].ports[1].acs.ctrl[1]: expected one of SV, TB, RR, CR, UF, EC, DT, got "XX"');
  });
  const cases: [string, string, string][] = [
    ['', 'empty.yaml', 'empty.yaml: (root): expected a topology document, got an empty file'],
    ['{ "name": ', 't.json', 't.json: (root): expected valid JSON'],
    ['name: x\nrootport: []\n', 't.yaml', 't.yaml: rootport: expected no such key (check the spelling), got "rootport"'],
    ['name: x\nrootPorts: [{ name: r, bdf: "00:1c.9" }]\n', 't.yaml', 't.yaml: rootPorts[0].bdf: expected a bdf string "bb:dd.f"'],
    ['name: x\nrootPorts: [{ name: r, bdf: "00:1c.0", acs: { cap: [RR], ctrl: [RR, UF] } }]\n', 't.yaml', 't.yaml: rootPorts[0].acs.ctrl: expected only bits that acs.cap has'],
    ['name: x\nendpoints: [{ name: e, parent: nope, functions: [{ bdf: "01:00.0" }] }]\n', 't.yaml', 't.yaml: endpoints[0].parent: expected the name of a root port, switch downstream port or bridge, got "nope"'],
    ['name: x\nrootPorts: [{ name: r, bdf: "00:1c.0" }, { name: s, bdf: "00:1c.0" }]\n', 't.yaml', 't.yaml: rootPorts[1].bdf: expected a bdf not used elsewhere'],
    ['name: x\nrootPorts: [{ name: r, bdf: "00:1c.0" }]\nendpoints: [{ name: e, parent: r, functions: [{ bdf: "01:00.0" }, { bdf: "02:00.1" }] }]\n', 't.yaml', 't.yaml: endpoints[0].functions[1].bdf: expected bus 01 like the other functions below r, got "02:00.1"'],
    ['name: x\nendpoints: [{ name: e, parent: r, functions: [{ bdf: "01:00.0", bars: [{ base: 12, size: "big" }] }] }]\n', 't.yaml', 't.yaml: endpoints[0].functions[0].bars[0].size: expected an address'],
  ];
  for (const [text, file, msg] of cases) {
    it(`reports ${msg.split(': ').slice(1, 2)[0]} in one line`, () => {
      const r = parseTopology(text, file);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.message.startsWith(msg)).toBe(true);
        expect(r.error.message).not.toContain('\n');
      }
    });
  }
});
