/**
 * A model: what the engine explores. One scenario under one variant's rules: the initial
 * state, the calls enabled in a state, and the result of a call. The rules live in the
 * semantic functions; this only wires them to a scenario.
 */
import type { KernelResult } from '../kernel/errno.ts';
import { enumerateEvents } from './enumerate.ts';
import { applyEvent, type IommuEvent } from './events.ts';
import type { Scenario } from './scenario.ts';
import type { Env } from './semantics/kernel.ts';
import { initialState, type SystemState } from './state.ts';
import { acsPortsOf } from './atsRoutes.ts';
import { kernelOf, type Variant } from './variants/index.ts';

export interface Model {
  readonly scenario: Scenario;
  readonly variant: Variant;
  readonly env: Env;
  readonly init: SystemState;
  events(s: SystemState): IommuEvent[];
  apply(s: SystemState, e: IommuEvent): KernelResult<SystemState>;
}

/**
 * The initial state with every fixed device's host driver bound (really_probe under the
 * variant's rules, as the host did before the plan starts); a probe the rules refuse leaves the
 * device driverless.
 */
export function withFixedDrivers(env: Env, s: SystemState): SystemState {
  let cur = s;
  env.scenario.devices.forEach((d, dev) => {
    const driver = d.fixed ? d.drivers[0] : undefined;
    if (!driver || !cur.devices[dev]?.present) return;
    const r = env.k.really_probe(env, cur, { dev, driver });
    if (r.ok) cur = r.next;
  });
  return cur;
}

/**
 * The state before any actor acts, under env's rules: the scenario's initial state, each group's
 * default domain type set up (iommu_setup_default_domain, for groups with a DMA actor; with an ATS
 * device also the ports' Translation Blocking, pci_std_enable_acs), then the
 * fixed devices' host drivers bound.
 */
export function initialModelState(env: Env): SystemState {
  let s = initialState(env.scenario);
  s.groups.forEach((g, group) => {
    if (!g.translation) return;
    const r = env.k.iommu_setup_default_domain(env, s, { group });
    if (r.ok) s = r.next;
    // ATS scenarios: the ACS setup of the ports above the group at enumeration (pci_std_enable_acs, TB clause).
    if (g.translation.ats) for (const p of acsPortsOf(env.scenario, group)) {
      const a = env.k.pci_std_enable_acs(env, s, { group, ...p });
      if (a.ok) s = a.next;
    }
  });
  return withFixedDrivers(env, s);
}

/** Builds the model of `scenario` under `variant`. */
export function buildModel(scenario: Scenario, variant: Variant): Model {
  const env: Env = { k: kernelOf(variant), scenario };
  return {
    scenario,
    variant,
    env,
    init: initialModelState(env),
    events: (s) => enumerateEvents(scenario, s),
    apply: (s, e) => applyEvent(env, s, e),
  };
}
