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
import { traceRows, type TraceRow } from './traceRows.ts';

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

/**
 * A state's '#meta' (free-form in ITF, ignored by tools that replay): its index, and for a step
 * the translation path's changes (`iotlb[default, iova 0] NULL→page 0`) and the DMA access it made
 * (device, IOVA, how the IOMMU served it, the page reached, stale or not, its route).
 */
function stepMeta(index: number, row?: TraceRow): Record<string, ItfValue> {
  const meta: Record<string, ItfValue> = { index };
  if (row?.translation.length) meta.translation = row.translation;
  if (row?.access) {
    const { text: _text, route, hops: _hops, page, ...a } = row.access;
    meta.dma = { ...a, page: toItfValue(page), ...(route ? { route } : {}) };
  }
  return meta;
}

const itfState = (s: SystemState, meta: Record<string, ItfValue>, action: string, picks: Record<string, ItfValue>): Record<string, ItfValue> => ({
  '#meta': meta,
  'mbt::actionTaken': action,
  'mbt::nondetPicks': picks,
  ...Object.fromEntries(VARS.map((k) => [k, toItfValue(s[k])])),
});

/** The counterexample as an ITF trace. */
export function toItf(v: Violation, model: Model): ItfTrace {
  const states = [itfState(v.init, stepMeta(0), 'init', {})];
  const rows = traceRows(v, model);
  v.steps.forEach((st, i) => {
    const picks = Object.fromEntries(eventArgs(st.event).map(([k, x]) => [k, x]));
    if (st.errno) picks.errno = `-${st.errno}`;
    states.push(itfState(st.state, stepMeta(i + 1, rows[i]), st.event.type, picks));
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
