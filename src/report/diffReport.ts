/**
 * `iommu-mc diff` output: per scenario, the invariants, the reachable states and the traces that
 * tell two variants apart, as text (the diverging call side by side) or as a JSON object.
 */
import pc from 'picocolors';
import type { Divergence, Outcome, ReplayStep, ScenarioDiff, Witness } from '../engine/diff.ts';
import type { TraceStep } from '../engine/types.ts';
import { eventArgs, eventKey, type IommuEvent } from '../machines/events.ts';
import type { Model } from '../machines/model.ts';
import type { SystemState } from '../machines/state.ts';
import { scenarioGroups } from '../machines/scenario.ts';
import { recordCalls } from './callTree.ts';
import { actorName, formatCall } from './formatEvent.ts';
import { summarizeState } from './formatTrace.ts';
import { diffStates, formatChanges } from './stateDiff.ts';

type Paint = (s: string) => string;
const plain = { bold: (s: string) => s, dim: (s: string) => s, red: (s: string) => s, green: (s: string) => s, cyan: (s: string) => s };
const ret = (errno: string | null, c: { red: Paint; green: Paint }) => (errno ? c.red(`-${errno}`) : c.green('0'));
const list = (xs: readonly string[]) => (xs.length ? xs.join(', ') : 'none');
const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

/** The two models a diff was computed from (the report needs their scenario and rule tables). */
export interface DiffModels {
  a: Model;
  b: Model;
}

function callLine(step: { event: IommuEvent }, prev: SystemState, m: Model, c: typeof plain): string {
  const driver = 'dev' in step.event ? prev.devices[step.event.dev]?.driver : null;
  return `${c.cyan(actorName(step.event, m.scenario, driver).padEnd(16))} ${formatCall(step.event, m.scenario)}`;
}

/** The common steps before a divergence: one line per call, as in a counterexample. */
function prefixLines(steps: readonly TraceStep[], init: SystemState, m: Model, c: typeof plain): string[] {
  const lines = [c.dim(`     [0] ${summarizeState(init, m)}`)];
  let prev = init;
  steps.forEach((st, i) => {
    lines.push(`     ${String(i + 1).padStart(2)}. ${callLine(st, prev, m, c)} = ${ret(st.errno, c)}   ${c.dim('(both)')}`);
    const ch = diffStates(prev, st.state, m.scenario);
    if (ch.length) lines.push(`           ${c.dim('changed:')} ${formatChanges(ch)}`);
    prev = st.state;
  });
  return lines;
}

/** One side of the diverging call: its return value, its call chain and what it changed. */
function outcomeLines(label: string, width: number, o: Outcome, from: SystemState, event: IommuEvent, m: Model, c: typeof plain): string[] {
  const lines = [`           ${c.bold(label.padEnd(width))}  = ${ret(o.errno, c)}`];
  const calls = recordCalls(m, from, event).filter((r) => r.depth > 0 || r.fn !== event.type);
  for (const r of calls) lines.push(c.dim(`           ${' '.repeat(width)}    ${'  '.repeat(Math.max(0, r.depth))}${r.fn}${r.errno ? ` = -${r.errno} (${r.reason})` : ''}`));
  const ch = o.state ? diffStates(from, o.state, m.scenario) : [];
  lines.push(`           ${' '.repeat(width)}    ${c.dim('changed:')} ${ch.length ? formatChanges(ch) : 'nothing'}`);
  return lines;
}

/** The first divergence, with the diverging call side by side. */
export function formatDivergence(d: Divergence, models: DiffModels, color = false): string {
  const c = color ? pc : plain;
  const { a, b } = models;
  const n = d.prefix.length + 1;
  const what = d.kind === 'ok-vs-error' ? 'one call succeeds where the other fails' : 'the same call leads to different states';
  const lines = [c.bold(`  first divergence after ${plural(n, 'call')}: ${what}`)];
  lines.push(...prefixLines(d.prefix, a.init, a, c));
  lines.push(`     ${String(n).padStart(2)}. ${callLine(d, d.from, a, c)}`);
  const width = Math.max(a.variant.name.length, b.variant.name.length);
  lines.push(...outcomeLines(a.variant.name, width, d.a, d.from, d.event, a, c));
  lines.push(...outcomeLines(b.variant.name, width, d.b, d.from, d.event, b, c));
  return lines.join('\n');
}

const sameCalls = (w: Witness, d: Divergence | null): boolean =>
  !!d && w.steps.length === d.prefix.length + 1 && [...d.prefix.map((s) => s.event), d.event].every((e, i) => eventKey(e) === eventKey(w.steps[i]!.event));

const replayText = (r: ReplayStep | undefined, c: typeof plain): string => (!r ? c.dim('(not reached)') : r.enabled ? ret(r.errno, c) : c.red('cannot make this call'));

/** The shortest trace to a state only `mine` reaches, with the other variant's outcome per call. */
function witnessLines(w: Witness, mine: Model, other: Model, d: Divergence | null, c: typeof plain): string[] {
  const head = `  only ${mine.variant.name} reaches this state, shortest trace (${plural(w.steps.length, 'call')})`;
  const last = w.steps[w.steps.length - 1]!.state;
  const theirs = w.other[w.other.length - 1]?.state;
  const ending = [`     ${mine.variant.name} ends in: ${summarizeState(last, mine)}`];
  if (theirs && w.other.length === w.steps.length && w.other.every((r) => r.enabled)) {
    ending.push(`     ${other.variant.name} on the same calls → ${mine.variant.name}: ${formatChanges(diffStates(theirs, last, mine.scenario)) || 'nothing'}`);
  }
  if (sameCalls(w, d)) return [`${head}: the calls of the first divergence`, ...ending];
  const lines = [`${head}:`];
  let prev = mine.init;
  w.steps.forEach((st, i) => {
    lines.push(`     ${String(i + 1).padStart(2)}. ${callLine(st, prev, mine, c)}   ${mine.variant.name} ${ret(st.errno, c)}, ${other.variant.name} ${replayText(w.other[i], c)}`);
    prev = st.state;
  });
  lines.push(...ending);
  return lines;
}

/** One scenario's comparison as text. */
export function formatScenarioDiff(d: ScenarioDiff, models: DiffModels, color = false): string {
  const c = color ? pc : plain;
  const { a, b } = models;
  // Two grouping rules on one machine: name each side by its rule too.
  const rule = (m: Model) => (d.sameStart ? '' : ` (${m.scenario.grouping ?? 'mainline'})`);
  const A = a.variant.name + rule(a);
  const B = b.variant.name + rule(b);
  const lines = [c.bold(`── ${d.scenario}: ${A} vs ${B} ──`)];
  if (!d.complete) lines.push(c.red(`  incomplete (${d.bound ?? 'max-states'}): a bound cut exploration short; raise --max-states/--max-seconds/--max-memory`));
  if (d.identical) {
    lines.push(`  no difference: same invariants (${list(d.a.result.violations.map((v) => v.invariant))} broken), the same ${plural(d.a.states, 'reachable state')}, every call behaves alike`);
    return lines.join('\n');
  }
  const invLine = (x: ScenarioDiff['a'], me: string, other: string) => (x.onlyInvariants.length ? `${me} breaks ${x.onlyInvariants.join(', ')} (${other} keeps ${x.onlyInvariants.length === 1 ? 'it' : 'them'})` : null);
  const inv = [invLine(d.a, A, B), invLine(d.b, B, A)].filter((x): x is string => x !== null);
  lines.push(`  invariants: ${inv.length ? inv.join('; ') : `the same (${list(d.a.result.violations.map((v) => v.invariant))} broken in both)`}`);
  lines.push(`  states:     ${A} ${d.a.states}, ${B} ${d.b.states}, ${d.commonStates} in both; only ${A} ${d.a.onlyStates}, only ${B} ${d.b.onlyStates}`);
  for (const [x, m, me, other] of [[d.a, a, A, B], [d.b, b, B, A]] as const) {
    if (!x.examples.length) continue;
    lines.push(`  e.g. only ${me}:`);
    x.examples.forEach((s, i) => {
      lines.push(`     ${summarizeState(s, m)}`);
      const near = d.sameStart ? x.nearest[i] : null;
      if (near) lines.push(c.dim(`       closest ${other} state → this one: ${formatChanges(diffStates(near, s, m.scenario))}`));
    });
  }
  if (!d.sameStart) {
    const rules = (a.scenario.grouping ?? 'mainline') !== (b.scenario.grouping ?? 'mainline');
    const why = rules
      ? `${scenarioGroups(a.scenario).length} IOMMU group(s) under ${a.scenario.grouping ?? 'mainline'}, ${scenarioGroups(b.scenario).length} under ${b.scenario.grouping ?? 'mainline'}`
      : `${b.variant.name} changes a rule the kernel applies before any call (at boot: ${formatChanges(diffStates(a.init, b.init, a.scenario))})`;
    lines.push(`  the two sides start from different states: ${why}; no call sequence is common to both`);
    return lines.join('\n');
  }
  if (d.divergence) lines.push(formatDivergence(d.divergence, models, color));
  else lines.push('  no divergence: every call sequence behaves alike in both (the differences above come from states past a broken invariant)');
  if (d.a.witness) lines.push(...witnessLines(d.a.witness, a, b, d.divergence, c));
  if (d.b.witness) lines.push(...witnessLines(d.b.witness, b, a, d.divergence, c));
  if (!d.a.witness && !d.b.witness) lines.push(`  same reachable states: the variants differ only in which calls succeed on the way`);
  return lines.join('\n');
}

/** The closing line: how many scenarios differ. */
export function formatDiffSummary(diffs: readonly ScenarioDiff[], a: string, b: string): string {
  const differ = diffs.filter((d) => !d.identical);
  const incomplete = diffs.filter((d) => !d.complete).length;
  const head = differ.length
    ? `${a} and ${b} differ on ${differ.length} of ${plural(diffs.length, 'scenario')}: ${differ.map((d) => d.scenario).join(', ')}.`
    : `${a} and ${b}: no difference on ${plural(diffs.length, 'scenario')}.`;
  return incomplete ? `${head} ${incomplete} incomplete.` : head;
}

const jsonCall = (e: IommuEvent) => ({ event: e.type, args: Object.fromEntries(eventArgs(e)) });

function jsonSteps(steps: readonly TraceStep[], init: SystemState, m: Model) {
  let prev = init;
  return steps.map((st) => {
    const out = { ...jsonCall(st.event), errno: st.errno ? `-${st.errno}` : null, changes: formatChanges(diffStates(prev, st.state, m.scenario)) };
    prev = st.state;
    return out;
  });
}

const jsonOutcome = (o: Outcome, from: SystemState, m: Model) => ({
  errno: o.errno ? `-${o.errno}` : null,
  changes: o.state ? formatChanges(diffStates(from, o.state, m.scenario)) : '',
});

/** The `--json` object of a diff. */
export function diffJson(pairs: readonly { diff: ScenarioDiff; models: DiffModels }[], exitCode: number) {
  return {
    exitCode,
    identical: pairs.every((p) => p.diff.identical),
    scenarios: pairs.map(({ diff: d, models: { a, b } }) => {
      const side = (x: ScenarioDiff['a'], mine: Model) => ({
        variant: x.variant,
        status: x.result.status,
        invariants: x.result.violations.map((v) => v.invariant),
        onlyInvariants: x.onlyInvariants,
        states: x.states,
        onlyStates: x.onlyStates,
        examples: x.examples.map((s, i) => ({
          state: summarizeState(s, mine),
          closestOtherDiffers: x.nearest[i] ? formatChanges(diffStates(x.nearest[i]!, s, mine.scenario)) : null,
        })),
        witness: x.witness && {
          steps: jsonSteps(x.witness.steps, mine.init, mine),
          other: x.witness.other.map((r) => ({ enabled: r.enabled, errno: r.errno ? `-${r.errno}` : null })),
        },
      });
      const dv = d.divergence;
      return {
        scenario: d.scenario,
        identical: d.identical,
        complete: d.complete,
        bound: d.bound,
        commonStates: d.commonStates,
        a: side(d.a, a),
        b: side(d.b, b),
        divergence: dv && {
          kind: dv.kind,
          prefix: jsonSteps(dv.prefix, a.init, a),
          call: jsonCall(dv.event),
          a: jsonOutcome(dv.a, dv.from, a),
          b: jsonOutcome(dv.b, dv.from, b),
        },
      };
    }),
  };
}
