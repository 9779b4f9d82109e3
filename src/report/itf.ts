/**
 * ITF (Informal Trace Format, Apalache ADR-015), the JSON trace format Quint and Apalache tools
 * read. Each state carries the kernel call that led to it as `mbt::actionTaken` and its
 * arguments as `mbt::nondetPicks`, as Quint does. ITF has no null: NULL is encoded as the
 * variant `{ tag: "None", value: { "#tup": [] } }`; every other value is written as itself.
 */
import type { Violation } from '../engine/types.ts';
import { eventArgs } from '../machines/events.ts';
import type { Model } from '../machines/model.ts';
import type { SystemState } from '../machines/state.ts';
import { nameContexts } from './stateDiff.ts';

export type ItfValue = number | string | boolean | ItfValue[] | { [k: string]: ItfValue };

export interface ItfTrace {
  '#meta': Record<string, ItfValue>;
  vars: string[];
  states: Record<string, ItfValue>[];
}

const NONE: ItfValue = { tag: 'None', value: { '#tup': [] } };

/** Plain model data to ITF values; nullable fields become Options. */
export function toItfValue(v: unknown): ItfValue {
  if (v === null || v === undefined) return NONE;
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : { '#bigint': String(v) };
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(toItfValue);
  return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, toItfValue(x)]));
}

/** Back from ITF values to plain data (Options to value or null): for round-trip tests. */
export function fromItfValue(v: ItfValue): unknown {
  if (Array.isArray(v)) return v.map(fromItfValue);
  if (v !== null && typeof v === 'object') {
    if ('tag' in v && v.tag === 'None') return null;
    if ('#bigint' in v) return Number(v['#bigint']);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromItfValue(x)]));
  }
  return v;
}

const VARS = ['groups', 'devices', 'vfio_groups', 'containers', 'iommufd_groups', 'warn'] as const;

const itfState = (s: SystemState, index: number, action: string, picks: Record<string, ItfValue>): Record<string, ItfValue> => ({
  '#meta': { index },
  'mbt::actionTaken': action,
  'mbt::nondetPicks': picks,
  ...Object.fromEntries(VARS.map((k) => [k, toItfValue(s[k])])),
});

/** The counterexample as an ITF trace. */
export function toItf(v: Violation, model: Model): ItfTrace {
  const states = [itfState(v.init, 0, 'init', {})];
  v.steps.forEach((st, i) => {
    const picks = Object.fromEntries(eventArgs(st.event).map(([k, x]) => [k, x]));
    if (st.errno) picks.errno = `-${st.errno}`;
    states.push(itfState(st.state, i + 1, st.event.type, picks));
  });
  return {
    '#meta': {
      format: 'ITF',
      'format-description': 'https://apalache-mc.org/docs/adr/015adr-trace.html',
      source: `iommu-mc scenario ${model.scenario.name}, variant ${model.variant.name}`,
      description: `Counterexample to ${v.invariant}: ${nameContexts(v.reason, model.scenario)}`,
    },
    vars: [...VARS],
    states,
  };
}

/** The plain states of an ITF trace (for replay and round-trip tests). */
export const statesOfItf = (t: ItfTrace): SystemState[] =>
  t.states.map((st) => Object.fromEntries(VARS.map((k) => [k, fromItfValue(st[k] as ItfValue)])) as unknown as SystemState);
