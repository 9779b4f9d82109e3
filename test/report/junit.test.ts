/**
 * JUnit XML for CI displays (`check --junit`, `merge --junit`): one test case per scenario x
 * variant, a failure per unexpected result with its trace, an incomplete run a failure too
 * (never a pass), every text escaped; the file parses as XML.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { junitXml, xmlEscape } from '../../src/report/junit.ts';
import { parseXml } from '../helpers/xml.ts';
import type { ReportRow } from '../../src/report/merge.ts';
import { run } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'iommu-mc-junit-'));
const path = (name: string) => join(dir, name);


const count = (names: string[], name: string) => names.filter((n) => n === name).length;

const row = (over: Partial<ReportRow>): ReportRow => ({
  scenario: 's',
  variant: 'current',
  status: 'holds',
  expected: 'holds',
  expectedInvariants: [],
  matchesExpectation: true,
  mismatch: false,
  complete: true,
  bound: null,
  distinctStates: 1,
  transitions: 0,
  depth: 0,
  seconds: 0.0123,
  violations: [],
  ...over,
});

describe('junitXml', () => {
  it('a test case per row, grouped by scenario; a failure per mismatch with its trace; an incomplete row fails too', () => {
    const bad = { invariant: 'I2', reason: 'owner_cnt is 1 but 0 <DMA-API> driver(s) & "more"', steps: [{ event: 'really_probe', args: { dev: 0, driver: "it's" }, actor: 'driver core', errno: '-ENXIO', changes: 'group.owner_cnt 0→1' }] };
    const xml = junitXml(
      [
        row({ scenario: 'a<b', variant: 'current' }),
        row({ scenario: 'a<b', variant: 'w8', status: 'violated', matchesExpectation: false, mismatch: true, violations: [bad] }),
        row({ scenario: 'c', variant: 'current', status: 'incomplete', matchesExpectation: false, complete: false, bound: 'max-states' }),
      ],
      'iommu-mc check',
    );
    const names = parseXml(xml);
    expect(count(names, 'testsuites')).toBe(1);
    expect(count(names, 'testsuite')).toBe(2);
    expect(count(names, 'testcase')).toBe(3);
    expect(count(names, 'failure')).toBe(2);
    expect(xml).toContain('<testsuites name="iommu-mc check" tests="3" failures="2"');
    expect(xml).toContain('<testcase classname="a&lt;b" name="current" time="0.012"/>');
    expect(xml).toContain('message="found violated I2, expected holds"');
    expect(xml).toContain('I2 (UNEXPECTED): owner_cnt is 1 but 0 &lt;DMA-API&gt; driver(s) &amp; &quot;more&quot;');
    expect(xml).toContain('1. really_probe(dev=0, driver=it&apos;s) by driver core → -ENXIO');
    expect(xml).toMatch(/<failure type="incomplete" message="incomplete: a bound cut exploration short \(max-states\); not a pass/);
  });

  it('an expected violation that did not appear is a failure that says so', () => {
    const xml = junitXml([row({ expected: 'violated', expectedInvariants: ['I3'], matchesExpectation: false, mismatch: true })], 'x');
    expect(xml).toContain('expected I3 to break; exploration reached every state and it did not</failure>');
  });

  it('the test\'s XML check itself rejects a bare &, crossed tags and an unclosed element', () => {
    expect(() => parseXml('<a>&</a>')).toThrow();
    expect(() => parseXml('<a><b></a></b>')).toThrow();
    expect(() => parseXml('<a>')).toThrow();
    expect(parseXml('<a x="1"><b/>t&amp;</a>')).toEqual(['a', 'b']);
  });

  it('escapes the five special characters and drops what XML 1.0 cannot hold', () => {
    expect(xmlEscape(`<a href="x">&'\u0001\x1b[31mred\x1b[0m`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;red');
  });
});

describe('--junit on check and merge', () => {
  const gpuAudio = path('gpu-audio.yaml');
  writeFileSync(
    gpuAudio,
    'name: gpu-audio\ndevices:\n  - { name: "01:00.0", drivers: [vfio-pci] }\n  - { name: "01:00.1", drivers: [e1000e, vfio-pci] }\ncontexts:\n  - { name: qemu, paths: [iommufd, vfio-group] }\nvariants: [current, w1-vfio-viability]\nexpect: { current: holds }\n',
  );

  it('check --junit: every job a test case, the unexpected result a failure with its trace', async () => {
    const file = path('check.xml');
    const r = await run(['check', '--scenario-file', gpuAudio, '--junit', file, '--traces', 'none']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`JUnit XML written to ${file}`);
    const xml = readFileSync(file, 'utf8');
    const names = parseXml(xml);
    expect(count(names, 'testcase')).toBe(2);
    expect(count(names, 'failure')).toBe(1);
    expect(xml).toMatch(/<testcase classname="gpu-audio" name="w1-vfio-viability" time="[\d.]+">\n {6}<failure type="mismatch" message="found violated [A-Z0-9,]+, expected holds">WARN \(UNEXPECTED\)/);
    expect(xml).toMatch(/1\. really_probe\(dev=0, driver=vfio-pci\) by driver core/);
  });

  it('check --junit to a directory is refused before exploring (exit 2, one line)', async () => {
    const r = await run(['check', '--scenario-file', gpuAudio, '--junit', dir]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`iommu-mc: ${dir}: cannot write the file (it is a directory); expected a regular file or a new name\n`);
  });

  it('merge --junit lists every job of the merged shards, and equals the unsharded file apart from times', async () => {
    const subset = ['--scenario', 'vfio-vs-dma-api', '--scenario', 'probe-failure'];
    const reports: string[] = [];
    for (const k of [1, 2]) {
      const r = await run(['check', ...subset, '--shard', `${k}/2`, '--json']);
      reports.push(path(`r${k}.json`));
      writeFileSync(reports[k - 1]!, r.stdout);
    }
    const merged = path('merged.xml');
    expect((await run(['merge', '--junit', merged, ...reports])).code).toBe(0);
    const whole = path('whole.xml');
    expect((await run(['check', ...subset, '--junit', whole, '--traces', 'none'])).code).toBe(0);
    const names = parseXml(readFileSync(merged, 'utf8'));
    expect(count(names, 'testcase')).toBe(44);
    expect(count(names, 'failure')).toBe(0);
    const timeless = (f: string) => readFileSync(f, 'utf8').replace(/time="[\d.]+"/g, '');
    expect(timeless(merged)).toBe(timeless(whole));
    const refused = path('refused.xml');
    expect((await run(['merge', '--junit', refused, reports[0]!])).code).toBe(2);
    expect(existsSync(refused)).toBe(false);
  });
});
