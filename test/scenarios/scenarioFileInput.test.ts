/**
 * Hostile and careless scenario files: names that would forge report lines, duplicate names,
 * p2p pairs by name, YAML merge keys, deep nesting, collection keys, unknown tags, byte-order
 * marks. Each is one located line, or (merge keys, p2p names, a BOM) accepted.
 */
import { describe, expect, it } from 'vitest';
import { parseTopology } from '../../src/hardware/index.ts';
import { escapeUnprintable, parseScenarioFile, ScenarioFileError } from '../../src/scenarios/scenarioFile.ts';

const DEVICES = 'devices:\n  - { name: "01:00.0", drivers: [vfio-pci] }\n  - { name: "01:00.1", drivers: [e1000e] }\n';
const parse = (text: string, file = 's.yaml') => parseScenarioFile(text, file);

/** The message parse throws, checked to be a ScenarioFileError on one line. */
function errorOf(text: string, file = 's.yaml'): string {
  try {
    parse(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioFileError);
    const message = (e as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    return message;
  }
  throw new Error('expected the file to be refused');
}

describe('names that would forge report lines or drive the terminal are refused', () => {
  it.each([
    ['a newline in a device name', '"a\\nFAKE LINE: 999 checks"', 'U+000A at character 2'],
    ['an escape sequence', '"b\\e[31mRED\\e[0m"', 'U+001B at character 2'],
    ['a right-to-left override', '"a\\u202Eb"', 'U+202E at character 2'],
    ['a NUL', '"a\\0b"', 'U+0000 at character 2'],
    ['a C1 control', '"a\\x85"', 'U+0085 at character 2'],
  ])('%s', (_what, name, where) => {
    const message = errorOf(`name: t\ndevices:\n  - { name: ${name}, drivers: [vfio-pci] }\n`);
    expect(message).toBe(`s.yaml: devices[0].name: expected printable text, got the unprintable character ${where}`);
  });

  it('a context name with a newline names the context field', () => {
    expect(errorOf(`name: t\n${DEVICES}contexts:\n  - { name: "c\\nd", paths: [iommufd] }\n`)).toMatch(/^s\.yaml: contexts\[0\]\.name: expected printable text/);
  });

  it('a 65-character device name and a 101-character scenario name are too long; 64 and 100 are fine', () => {
    expect(errorOf(`name: t\ndevices:\n  - { name: "${'d'.repeat(65)}", drivers: [vfio-pci] }\n`)).toMatch(/^s\.yaml: devices\[0\]\.name: Too big: expected string to have <=64 characters$/);
    expect(errorOf(`name: ${'n'.repeat(101)}\n${DEVICES}`)).toMatch(/^s\.yaml: name: Too big: expected string to have <=100 characters$/);
    expect(parse(`name: ${'n'.repeat(100)}\ndevices:\n  - { name: "${'d'.repeat(64)}", drivers: [vfio-pci] }\n`).scenario.devices[0]!.name).toHaveLength(64);
  });

  it('a description may have newlines and tabs, but no other control character, and at most 2000 characters', () => {
    expect(parse(`name: t\ndescription: "two\\n\\tlines"\n${DEVICES}`).scenario.description).toBe('two\n\tlines');
    expect(errorOf(`name: t\ndescription: "bell\\a"\n${DEVICES}`)).toBe('s.yaml: description: expected printable text (newlines and tabs allowed), got the unprintable character U+0007 at character 5');
    expect(errorOf(`name: t\ndescription: ${'x'.repeat(2001)}\n${DEVICES}`)).toMatch(/^s\.yaml: description: Too big: expected string to have <=2000 characters$/);
  });

  it('a topology file\'s names are held to the same rule (an ESC sequence that would clear the screen)', () => {
    const r = parseTopology('name: t\nrootPorts: [{ name: "fn\\e[2J", bdf: "00:1c.0" }]\n', 't.yaml');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.message).toMatch(/^t\.yaml: rootPorts\[0\]\.name: .*unprintable character U\+001B at character 3/);
  });

  it('an error quoting the file shows control characters escaped, never raw', () => {
    expect(escapeUnprintable('a\nb\u001b[2J\u202e\u0000')).toBe('a\\nb\\x1b[2J\\u202e\\x00');
    const message = errorOf('\u0001\u001b[2J{"name": "t"}', 'raw.json');
    expect(message).toMatch(/^raw\.json: not valid JSON: /);
    expect(message).toContain('\\x01');
    expect(message).not.toMatch(/[\u0000-\u001f]/);
  });
});

describe('duplicate names', () => {
  it('a device name used twice names both entries', () => {
    const text = 'name: t\ndevices:\n  - { name: "01:00.0", drivers: [vfio-pci] }\n  - { name: "01:00.0", drivers: [e1000e] }\n';
    expect(errorOf(text)).toBe('s.yaml: devices[1].name: "01:00.0" is already used by devices[0]; expected each device once');
  });

  it('a context name used twice names both entries', () => {
    const text = `name: t\n${DEVICES}contexts:\n  - { name: qemu, paths: [iommufd] }\n  - { name: qemu, paths: [vfio-group] }\n`;
    expect(errorOf(text)).toBe('s.yaml: contexts[1].name: "qemu" is already used by contexts[0]; expected each context once');
  });

  it('a device named twice in one symmetry class says so (not "in two classes")', () => {
    expect(errorOf(`name: t\n${DEVICES}symmetry: [["01:00.0", "01:00.0"]]\n`)).toBe('s.yaml: symmetry[0][1]: "01:00.0" is named twice in symmetry[0]; expected each device once in a class');
  });
});

describe('p2p pairs', () => {
  const pairsOf = (p2p: string) => parse(`name: t\n${DEVICES}p2p: ${p2p}\n`).scenario.p2p;

  it('take device names as symmetry does, and indices as before', () => {
    expect(pairsOf('[["01:00.1", "01:00.0"]]')).toEqual([[1, 0]]);
    expect(pairsOf('[[0, 1], ["01:00.1", 0]]')).toEqual([[0, 1], [1, 0]]);
  });

  it.each([
    ['a device paired with itself', '[[0, 0]]', 's.yaml: p2p[0]: pairs "01:00.0" with itself; expected two different devices'],
    ['the same pair twice', '[[0, 1], ["01:00.0", "01:00.1"]]', 's.yaml: p2p[1]: "01:00.0" -> "01:00.1" is p2p[0] again; expected each pair once'],
    ['a float', '[[0.5, 1]]', 's.yaml: p2p[0][0]: expected a device name or index (a whole number from 0), got 0.5'],
    ['an index past the devices', '[[0, 2]]', 's.yaml: p2p[0][1]: expected a device name or an index below 2, got 2'],
    ['an unknown name', '[[0, "02:00.0"]]', 's.yaml: p2p[0][1]: expected a device of the scenario (01:00.0, 01:00.1), got "02:00.0"'],
    ['a pair of three', '[[0, 1, 1]]', 's.yaml: p2p[0]: expected "all", "none" or a list of pairs [a, b] of device names or indices; got a pair that is not two devices'],
    ['a word other than all or none', 'some', 's.yaml: p2p: expected "all", "none" or a list of pairs [a, b] of device names or indices'],
  ])('%s is refused', (_what, p2p, message) => {
    expect(errorOf(`name: t\n${DEVICES}p2p: ${p2p}\n`)).toBe(message);
  });
});

describe('YAML and JSON details', () => {
  it('merge keys (<<: *base) are resolved', () => {
    const text = 'name: t\ndevices:\n  - &gpu { name: "01:00.0", drivers: [vfio-pci, e1000e], pasid: true }\n  - { <<: *gpu, name: "02:00.0" }\n';
    const devices = parse(text).scenario.devices;
    expect(devices[1]).toMatchObject({ name: '02:00.0', drivers: ['vfio-pci', 'e1000e'], pasid: true });
  });

  it('deep nesting is "nested too deeply" with a position, never the engine\'s stack message', () => {
    expect(errorOf(`name: t\ndevices: ${'['.repeat(40)}${']'.repeat(40)}\n`)).toBe('s.yaml: not valid YAML: nested too deeply: more than 32 levels (line 2, column 41)');
    const deeper = errorOf(`name: t\ndevices: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    expect(deeper).toMatch(/^s\.yaml: not valid YAML: nested too deeply/);
    expect(deeper).not.toMatch(/call stack|:$/);
  });

  it('a list or mapping as a mapping key is refused at once (yaml would take time exponential in its depth)', () => {
    const nested = `name: t\ndevices: ${'{'.repeat(3000)}${'}'.repeat(3000)}\n`;
    expect(errorOf(nested)).toMatch(/^s\.yaml: not valid YAML: (expected a plain name as a mapping key|nested too deeply)/);
    expect(errorOf('name: t\ndevices: { {a: 1}: 2 }\n')).toBe('s.yaml: not valid YAML: expected a plain name as a mapping key, got a list, mapping or alias (line 2, column 12)');
  });

  it('an unknown tag such as !!js/function is one line, not a string taken silently (and no YAMLWarning)', () => {
    expect(errorOf(`name: t\ndescription: !!js/function "function () {}"\n${DEVICES}`)).toBe('s.yaml: not valid YAML: Unresolved tag: tag:yaml.org,2002:js/function at line 2, column 14');
  });

  it('a UTF-8 byte-order mark is accepted in JSON and in YAML', () => {
    const json = JSON.stringify({ name: 't', devices: [{ name: 'a', drivers: ['vfio-pci'] }] });
    expect(parse(`\uFEFF${json}`, 's.json').scenario.name).toBe('t');
    expect(parse(`\uFEFFname: t\n${DEVICES}`).scenario.name).toBe('t');
  });

  it('two YAML documents are one line without the excerpt\'s trailing colon', () => {
    expect(errorOf(`name: t\n${DEVICES}---\nname: u\n`)).toMatch(/^s\.yaml: not valid YAML: Source contains multiple documents; .* at line 5, column 1$/);
  });
});
