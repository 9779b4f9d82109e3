/**
 * JUnit XML for CI systems that display test results (`check --junit FILE`, `merge --junit
 * FILE`): one <testcase> per scenario x variant (classname the scenario, name the variant), a
 * <failure> per unexpected result with its counterexample. Built from the rows of the `--json`
 * report, so a merged report's file equals the unsharded run's (apart from times).
 *
 * An incomplete row (a bound cut exploration short, exit 3) is a <failure type="incomplete">,
 * not <skipped>: it is not a pass, and many CI displays hide skipped tests.
 */
import { rowOutcome, stepsText, type ReportRow } from './merge.ts';

/** Text made safe for XML 1.0 content and attribute values: the five special characters escaped, characters XML cannot hold dropped. */
export function xmlEscape(text: string): string {
  return text
    .replace(/\x1b\[[0-9;]*m/g, '')
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

type Row = Pick<ReportRow, 'scenario' | 'variant' | 'status' | 'expected' | 'expectedInvariants' | 'mismatch' | 'complete' | 'bound' | 'seconds' | 'violations'>;

/** The body of a failure: each unexpected violation's trace, or what was expected and did not appear. */
function failureText(r: Row): string {
  const expected = new Set(r.expectedInvariants);
  const unexpected = r.violations.filter((v) => !expected.has(v.invariant));
  const parts = unexpected.map((v) => `${v.invariant} (UNEXPECTED): ${v.reason}\n${stepsText(v.steps)}`);
  const missing = r.expectedInvariants.filter((i) => !r.violations.some((v) => v.invariant === i));
  if (missing.length && r.complete) parts.push(`expected ${missing.join(', ')} to break; exploration reached every state and it did not`);
  return parts.join('\n\n');
}

/** One <testcase> element. */
function testcase(r: Row): string {
  const head = `    <testcase classname="${xmlEscape(r.scenario)}" name="${xmlEscape(r.variant)}" time="${r.seconds.toFixed(3)}"`;
  if (r.mismatch) {
    return `${head}>\n      <failure type="mismatch" message="${xmlEscape(rowOutcome(r as ReportRow))}">${xmlEscape(failureText(r))}</failure>\n    </testcase>`;
  }
  if (!r.complete) {
    const message = `incomplete: a bound cut exploration short (${r.bound}); not a pass: raise --max-states/--max-seconds/--max-memory`;
    return `${head}>\n      <failure type="incomplete" message="${xmlEscape(message)}"/>\n    </testcase>`;
  }
  return `${head}/>`;
}

/**
 * The JUnit XML document of a check's rows: a <testsuite> per scenario (in the rows' order), a
 * <testcase> per row; `name` names the whole (e.g. "iommu-mc check").
 */
export function junitXml(rows: readonly Row[], name: string): string {
  const suites = new Map<string, Row[]>();
  for (const r of rows) suites.set(r.scenario, [...(suites.get(r.scenario) ?? []), r]);
  const failures = (rs: readonly Row[]) => rs.filter((r) => r.mismatch || !r.complete).length;
  const time = (rs: readonly Row[]) => rs.reduce((a, r) => a + r.seconds, 0).toFixed(3);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="${xmlEscape(name)}" tests="${rows.length}" failures="${failures(rows)}" errors="0" skipped="0" time="${time(rows)}">`];
  for (const [scenario, rs] of suites) {
    lines.push(`  <testsuite name="${xmlEscape(scenario)}" tests="${rs.length}" failures="${failures(rs)}" errors="0" skipped="0" time="${time(rs)}">`);
    for (const r of rs) lines.push(testcase(r));
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}
