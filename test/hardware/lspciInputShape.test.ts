/**
 * lspci dumps as they arrive from mail and web pages (issue 18, B2 and B19): tabs turned into
 * spaces or the whole dump indented read the same as the original; a dump whose indentation is
 * gone, a plain `lspci` listing and two concatenated dumps are refused with one located line;
 * a dump cut short is warned about.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lspciDeviceLine, parseLspci } from '../../src/hardware/index.ts';
import type { LspciParse } from '../../src/hardware/index.ts';
import { buildTopologyReport, renderTopologyText } from '../../src/report/topology.ts';

const dir = new URL('../fixtures/lspci/', import.meta.url);
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();
const text = (f: string) => readFileSync(new URL(f, dir), 'utf8');

function parsed(t: string, name: string): LspciParse {
  const r = parseLspci(t, name);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** The text and JSON reports of a dump, as `topology --lspci` prints them. */
function reports(t: string, name: string): { text: string; json: string } {
  const v = parsed(t, name);
  const report = buildTopologyReport({ topology: v.topology, source: 'lspci', recordedGroups: v.recordedGroups, unknownAcs: v.unknownAcs, idsFromNames: v.idsFromNames, warnings: v.warnings });
  return { text: renderTopologyText(report), json: JSON.stringify(report) };
}

function refusal(t: string, name = 'dump.txt'): string {
  const r = parseLspci(t, name);
  if (r.ok) throw new Error('expected the dump to be refused');
  expect(r.error.message).not.toContain('\n');
  return r.error.message;
}

describe('lspci dumps whose indentation changed on the way', () => {
  const variants: [string, (t: string) => string][] = [
    ['tabs as 8 spaces (sed s/\\t/        /g)', (t) => t.replaceAll('\t', ' '.repeat(8))],
    ['tabs as 4 spaces', (t) => t.replaceAll('\t', ' '.repeat(4))],
    ['tabs as 2 spaces', (t) => t.replaceAll('\t', '  ')],
    ['every line indented by 4 spaces (a Markdown code block)', (t) => t.replace(/^/gm, '    ')],
  ];
  for (const f of fixtures) {
    it(`${f}: each variant gives the report of the tab original, byte for byte`, () => {
      const original = reports(text(f), f);
      for (const [, change] of variants) expect(reports(change(text(f)), f)).toEqual(original);
    });
  }
  it('a dump whose tabs became spaces still has its root ports, BARs and recorded groups (it used to read as all conventional PCI)', () => {
    const v = parsed(text('thinkpad-e15g3-renoir.vvv.txt').replaceAll('\t', ' '.repeat(8)), 'spaces.txt');
    expect(v.topology.devices.filter((d) => d.kind === 'root_port').length).toBeGreaterThan(0);
    expect(v.topology.devices.some((d) => d.bars.length > 0)).toBe(true);
    expect(v.recordedGroups).not.toBeNull();
  });
});

describe('lspci text that is not a usable lspci -vvv dump', () => {
  const thinkpad = text('thinkpad-e15g3-renoir.vvv.txt');
  it('a dump with its indentation stripped is refused: no capability line could be read, never a clean bill of health', () => {
    const flat = thinkpad.replace(/^[ \t]+/gm, '');
    expect(refusal(flat)).toBe('dump.txt: (root): expected lspci -vvv output with its indentation intact (detail lines indented below each device line), got no capability lines parsed: is this `lspci -vvv` output with its indentation intact?');
  });
  it('a plain lspci listing is refused with the advice to run lspci -vvv', () => {
    const plain = thinkpad.split('\n').filter((l) => /^[0-9a-f]{2}:/.test(l)).join('\n');
    expect(refusal(plain)).toMatch(/^dump\.txt: \(root\): expected lspci -vvv output \(run `lspci -vvv`.*a plain `lspci` listing has no capability lines, got 29 device line\(s\) and nothing below them$/);
  });
  it('two concatenated dumps are refused, naming the address and both line numbers', () => {
    const lines = thinkpad.split('\n').length;
    const first = thinkpad.split('\n').findIndex((l) => l.startsWith('00:00.0')) + 1;
    expect(refusal(`${thinkpad}${thinkpad}`)).toBe(`dump.txt: line ${lines + first - 1}: expected each device address once (two dumps concatenated?), got 00:00.0 again (first at line ${first})`);
  });
  it('a dump cut in the middle of a line is warned about, naming the device whose block it ends in', () => {
    const half = thinkpad.slice(0, 9000);
    expect(half.endsWith('\n')).toBe(false);
    const v = parsed(half, 'half.txt');
    expect(v.warnings.some((w) => /^the text ends without a line end, inside the block of \S+ \(line \d+\): the dump may be cut short$/.test(w))).toBe(true);
  });
  it('device blocks that lost their lines are named: a bridge without its Bus: line, Status: Cap+ without capabilities, ACS without ACSCap', () => {
    const dump = ['00:1c.0 PCI bridge: Intel Corporation Device a110', '\tStatus: Cap+ 66MHz-', '', '01:00.0 Ethernet controller: Intel Corporation I210', '\tStatus: Cap+ 66MHz-', '\tCapabilities: [40] Express (v2) Endpoint, MSI 00', '\tCapabilities: [1c0] Access Control Services', ''].join('\n');
    const v = parsed(dump, 'cut.txt');
    const w = v.warnings.find((x) => x.includes('look cut short'));
    expect(w).toContain('00:1c.0 (line 1: Status: Cap+ but no Capabilities: line)');
    expect(w).toContain('01:00.0 (line 4: an Access Control Services capability without its ACSCap: line');
    const bridge = parsed(['00:1c.0 PCI bridge: Intel Corporation Device a110', '\tStatus: Cap- 66MHz-', ''].join('\n'), 'b.txt');
    expect(bridge.warnings.join('\n')).toContain('00:1c.0 (line 1: a PCI bridge without its Bus: line)');
  });
  it('lines at the device lines\' indentation that are not device lines are counted in a warning', () => {
    const v = parsed(thinkpad.replace('00:02.1 PCI bridge', '00:'), 'cut.txt');
    expect(v.warnings.some((w) => w.startsWith('1 line(s) are neither device lines nor indented below one, and were not read (line '))).toBe(true);
  });
  it('no fixture gets any of these warnings', () => {
    for (const f of fixtures) expect(parsed(text(f), f).warnings.filter((w) => /cut short|not read/.test(w))).toEqual([]);
  });
});

describe('lspciDeviceLine (the "did you mean --lspci?" hint)', () => {
  it('finds the first device line of a dump after its # header, and nothing in a topology file', () => {
    expect(lspciDeviceLine(text('thinkpad-e15g3-renoir.vvv.txt'))).toMatch(/^00:00\.0 Host bridge: /);
    expect(lspciDeviceLine(readFileSync(new URL('../fixtures/topologies/gpu-audio.yaml', import.meta.url), 'utf8'))).toBeNull();
    expect(lspciDeviceLine('{ "name": "x" }')).toBeNull();
  });
});

describe('hostile text in a dump', () => {
  it('terminal escapes and bidi overrides in a driver name reach no report: each becomes ?', () => {
    const dump = '00:00.0 Host bridge: Acme Root\n\tKernel driver in use: evil\u001b[2J\u202e\n';
    const r = parseLspci(dump, 'x.txt');
    const text = JSON.stringify(r);
    expect(text).not.toMatch(/\u001b|\u202e/);
  });
});
