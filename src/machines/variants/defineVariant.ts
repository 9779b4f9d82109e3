/**
 * A design variant: a named set of overrides of kernel semantic functions, with where the rule
 * came from and which invariants it is expected to break. The current kernel is the variant
 * with no overrides.
 */
import type { Kernel } from '../semantics/kernel.ts';
import { currentKernel } from '../semantics/index.ts';

export interface Variant {
  /** Short kebab-case name used on the command line. */
  readonly name: string;
  /** One or two sentences: what rule this variant stands for. */
  readonly description: string;
  /** Where the rule comes from: commit, thread, or "seeded bug" for test-only variants. */
  readonly source: string;
  /** `kernel`: the rules of today's kernel; `historical`/`proposed`: real designs; `seeded`: a deliberate bug. */
  readonly kind: 'kernel' | 'historical' | 'proposed' | 'seeded';
  /** Invariant ids (I1, I2, ...) this variant is expected to break on at least one scenario. */
  readonly breaks: readonly string[];
  /** The built-in scenario whose counterexample tells this variant's story best (preferred in reports). */
  readonly showcase?: string;
  /** The kernel functions this variant replaces. */
  readonly overrides: Partial<Kernel>;
  /**
   * The variant's rules change state of an IOMMU group other than the one the call is made on
   * (beyond the calling context's container). Such a variant is never explored by decomposition:
   * independent groups are independent only under group-local rules.
   */
  readonly crossesGroups?: boolean;
  /**
   * The built-in scenarios this variant is checked on by default (every scenario when omitted):
   * a variant of a rule that only some scenarios exercise (staged resets) adds no run, and no
   * manifest row, to the others. `check --variant NAME` still runs it on any scenario.
   */
  readonly scenarios?: readonly string[];
}

/** Declares a variant (identity; gives type checking and one place to add validation). */
export const defineVariant = (v: Variant): Variant => v;

/** The rule table of a variant: the current kernel with the variant's overrides. */
export const kernelOf = (v: Variant): Kernel => ({ ...currentKernel, ...v.overrides });
