/**
 * The evidence of a decision record, computed: every rule (chosen and rejected) is checked on
 * every scenario of the decision with the same engine as `iommu-mc check` (runJob), and the
 * decision's witness is searched for under every rule. Each actual result is compared with the
 * record's expectation; any disagreement is a mismatch. Pure.
 */
import { runJob, type CheckResult } from '../engine/check.ts';
import type { Status, Violation } from '../engine/types.ts';
import { findWitness } from '../engine/witness.ts';
import { buildModel, type Model } from '../machines/model.ts';
import { findVariant, type Variant } from '../machines/variants/index.ts';
import { findScenario } from '../scenarios/builtin.ts';
import type { Decision, Expect, Rule } from './types.ts';

/** One rule on one scenario: what was expected and what the checker found. */
export interface JobEvidence {
  scenario: string;
  expected: Expect;
  status: Status;
  /** Invariants found broken, in registry order. */
  found: string[];
  result: CheckResult;
  matches: boolean;
}

/** The witness search under one rule. */
export interface WitnessEvidence {
  expected: boolean;
  trace: Violation | null;
  model: Model;
  states: number;
  matches: boolean;
}

export interface RuleEvidence {
  rule: Rule;
  variant: Variant;
  jobs: JobEvidence[];
  witness: WitnessEvidence | null;
}

export interface DecisionEvidence {
  decision: Decision;
  chosen: RuleEvidence;
  alternatives: RuleEvidence[];
  /** One line per disagreement between the record and the checker; empty when all agree. */
  mismatches: string[];
}

/** `holds`, or `violated (I1, I4)`. */
export const formatExpect = (e: Expect): string => (e === 'holds' ? 'holds' : `violated (${e.join(', ')})`);

function scenarioOf(name: string) {
  const s = findScenario(name);
  if (!s) throw new Error(`decision scenario ${name} is not a built-in scenario`);
  return s;
}

function evaluateRule(d: Decision, rule: Rule, mismatches: string[]): RuleEvidence {
  const variant = findVariant(rule.variant);
  if (!variant) throw new Error(`decision ${d.id}: no variant named ${rule.variant}`);
  const jobs = d.scenarios.map((name): JobEvidence => {
    const expected = rule.expect[name];
    if (expected === undefined) throw new Error(`decision ${d.id}: ${rule.variant} has no expectation for ${name}`);
    const invariants = expected === 'holds' ? [] : [...expected];
    // The records print full state counts: no symmetry reduction.
    const result = runJob({ scenario: scenarioOf(name), variant, expectation: { expected: expected === 'holds' ? 'holds' : 'violated', invariants, source: 'decision' } }, { symmetry: false });
    const found = result.result.violations.map((v) => v.invariant);
    const matches = result.matchesExpectation && result.status === (expected === 'holds' ? 'holds' : 'violated');
    if (!matches) mismatches.push(`${d.id}-${d.slug}: ${rule.variant} on ${name}: expected ${formatExpect(expected)}, the checker found ${result.status === 'violated' ? `violated (${found.join(', ')})` : result.status}`);
    return { scenario: name, expected, status: result.status, found, result, matches };
  });
  let witness: WitnessEvidence | null = null;
  if (d.witness) {
    if (rule.witness === undefined) throw new Error(`decision ${d.id}: ${rule.variant} has no witness expectation`);
    const model = buildModel(scenarioOf(d.witness.scenario), variant);
    const w = findWitness(model, d.witness.id, d.witness.find);
    const matches = w.complete && (w.trace !== null) === rule.witness;
    if (!matches) mismatches.push(`${d.id}-${d.slug}: ${rule.variant}: ${d.witness.id} expected ${rule.witness ? 'reachable' : 'unreachable'}, the checker found it ${w.trace ? 'reachable' : 'unreachable'}`);
    witness = { expected: rule.witness, trace: w.trace, model, states: w.states, matches };
  }
  return { rule, variant, jobs, witness };
}

/** Runs the checker for every rule and scenario of a decision. */
export function evaluateDecision(d: Decision): DecisionEvidence {
  const mismatches: string[] = [];
  const chosen = evaluateRule(d, d.chosen, mismatches);
  const alternatives = d.alternatives.map((r) => evaluateRule(d, r, mismatches));
  return { decision: d, chosen, alternatives, mismatches };
}
