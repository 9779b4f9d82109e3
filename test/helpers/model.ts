/** Test helpers: build models by name and replay traces, in the kernel selftests' cmd/err style. */
import { expect } from 'vitest';
import type { Errno, KernelResult } from '../../src/kernel/errno.ts';
import { successor, type IommuEvent } from '../../src/machines/events.ts';
import { buildModel, type Model } from '../../src/machines/model.ts';
import type { SystemState } from '../../src/machines/state.ts';
import { findVariant } from '../../src/machines/variants/index.ts';
import { findScenario } from '../../src/scenarios/builtin.ts';

/** The model of a built-in scenario under a variant (default: current). */
export function model(scenario: string, variant = 'current'): Model {
  const s = findScenario(scenario);
  const v = findVariant(variant);
  if (!s || !v) throw new Error(`no such scenario/variant ${scenario}/${variant}`);
  return buildModel(s, v);
}

/** Applies a call that must succeed; returns the next state. */
export function expectOk(m: Model, s: SystemState, e: IommuEvent): SystemState {
  const r = m.apply(s, e);
  if (!r.ok) throw new Error(`${e.type} failed with -${r.errno}: ${r.reason}`);
  return r.next;
}

/** Applies a call that must fail with `errno`; returns the result. */
export function expectErrno(errno: Errno, m: Model, s: SystemState, e: IommuEvent): KernelResult<SystemState> {
  const r = m.apply(s, e);
  expect(r.ok ? 'ok' : r.errno, r.ok ? `${e.type} succeeded` : r.reason).toBe(errno);
  return r;
}

/** Replays events from the initial state; every call must have a successor. */
export function replay(m: Model, events: IommuEvent[]): SystemState[] {
  const out = [m.init];
  for (const e of events) {
    const next = successor(m.apply(out[out.length - 1]!, e));
    if (!next) throw new Error(`replay: ${e.type} has no successor`);
    out.push(next);
  }
  return out;
}

/** A run of calls that must all succeed. */
export function run(m: Model, events: IommuEvent[], from: SystemState = m.init): SystemState {
  return events.reduce((s, e) => expectOk(m, s, e), from);
}
