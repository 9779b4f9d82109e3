/**
 * Decision records (ADR style): a design question about the DMA-ownership rules, the rule the
 * kernel chose (a variant, normally `current`), the rejected alternatives (variants), and what
 * the checker is expected to find for each on the scenarios that decide it. The evidence is
 * computed by ./evaluate.ts; nothing here is a result.
 */
import type { Scenario } from '../machines/scenario.ts';
import type { SystemState } from '../machines/state.ts';

/** What a rule is expected to give on one scenario: `holds`, or the exact invariants it breaks. */
export type Expect = 'holds' | readonly string[];

/** A mailing-list thread kept in shared/seeds, cited by what the seed itself preserves. */
export interface ThreadSource {
  /** File name in shared/seeds/. */
  readonly seed: string;
  /** The subject line, or what the thread was about when the seed has no subject. */
  readonly subject: string;
  readonly from: string;
  readonly date: string;
  /** Message-IDs and lore.kernel.org URLs only when they appear in the seed. */
  readonly messageId?: string;
  readonly url?: string;
  /** A short quote from the seed. */
  readonly quote: string;
}

/** A kernel commit or patch, as cited by the reference (kernel-semantics.md). */
export interface CommitSource {
  /** Abbreviated hash, or null for a patch cited by its title only. */
  readonly id: string | null;
  readonly title: string;
  readonly note?: string;
}

/** One rule of a decision: the chosen one or a rejected alternative, as a variant. */
export interface Rule {
  readonly variant: string;
  /** How the variant stands for this rule, in one or two sentences. */
  readonly as: string;
  /** Expected verdict per scenario of the decision (every scenario listed). */
  readonly expect: Readonly<Record<string, Expect>>;
  /** For a decision with a witness: is the witnessed state expected to be reachable? */
  readonly witness?: boolean;
}

/**
 * A reachable situation worth showing that no invariant forbids: an accepted exposure, or an
 * implicit effect. Its shortest trace is part of the record.
 */
export interface Witness {
  /** Short id, e.g. `W12` (kernel-semantics.md section 6). */
  readonly id: string;
  readonly title: string;
  /** The scenario searched. */
  readonly scenario: string;
  /** One sentence: what the reached state shows. */
  readonly description: string;
  /** The situation, or null when `s` does not show it. */
  readonly find: (s: SystemState, scenario: Scenario) => string | null;
}

export interface Decision {
  /** Four digits: `0001`. */
  readonly id: string;
  /** kebab-case file name part. */
  readonly slug: string;
  readonly title: string;
  /** `Accepted`; qualified when the chosen rule has an expected counterexample or a witness worth showing. */
  readonly status: 'Accepted' | 'Accepted (known weakness)' | 'Accepted (documented exposure)' | 'Accepted (documented side effect)';
  readonly question: string;
  /** Paragraphs of Markdown. */
  readonly context: readonly string[];
  readonly threads: readonly ThreadSource[];
  readonly commits: readonly CommitSource[];
  /** The decision, as Markdown prose. */
  readonly decision: string;
  readonly chosen: Rule;
  readonly alternatives: readonly Rule[];
  /** Built-in scenarios run for every rule, in order. */
  readonly scenarios: readonly string[];
  /** The invariants the question is about. */
  readonly invariants: readonly string[];
  readonly witness?: Witness;
}

/** Declares a decision (identity; the registry test checks the shape). */
export const defineDecision = (d: Decision): Decision => d;
