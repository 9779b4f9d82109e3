/**
 * "Every new call of the rule table can be overridden by a variant": the check each call's test
 * makes. An override that does what the kernel does and then records a WARN_ON must pass the
 * variant-file schema, be reached on `scenario` (WARN breaks) and change the verdict (the current
 * kernel does not break WARN there).
 */
import { expect } from 'vitest';
import { variantSchema } from '../../src/cli/variantFile.ts';
import { explore } from '../../src/engine/explore.ts';
import { ok } from '../../src/kernel/errno.ts';
import { buildModel } from '../../src/machines/model.ts';
import type { Scenario } from '../../src/machines/scenario.ts';
import { currentKernel, type Kernel, type KernelFn } from '../../src/machines/semantics/index.ts';
import { warnOn } from '../../src/machines/state.ts';
import { currentVariant, defineVariant } from '../../src/machines/variants/index.ts';

/** Checks that rule-table function `name` can be overridden and that the override is reached on `scenario`. */
export function expectOverridable(name: keyof Kernel, scenario: Scenario): void {
  const current = currentKernel[name] as KernelFn<unknown>;
  const warned: KernelFn<unknown> = (env, s, a) => {
    const r = current(env, s, a);
    return r.ok ? ok(warnOn(r.next, `${name} override ran`)) : r;
  };
  const variant = defineVariant({
    name: `warn-in-${name.replace(/_/g, '-').replace(/^-+/, '')}`,
    kind: 'seeded',
    description: `${name} as today, plus a WARN_ON.`,
    source: 'test',
    breaks: ['WARN'],
    overrides: { [name]: warned } as Partial<Kernel>,
  });
  expect(variantSchema.safeParse(variant).success).toBe(true);
  expect(explore(buildModel(scenario, variant)).violations.map((v) => v.invariant)).toContain('WARN');
  expect(explore(buildModel(scenario, currentVariant)).violations.map((v) => v.invariant)).not.toContain('WARN');
}
