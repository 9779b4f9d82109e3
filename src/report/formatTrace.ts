/**
 * Readable counterexamples: one kernel call per step with its arguments, the errno it returned,
 * the chain of kernel functions it ran, and what changed in the state.
 */
import pc from 'picocolors';
import type { Violation } from '../engine/types.ts';
import { findInvariant } from '../invariants/index.ts';
import type { Model } from '../machines/model.ts';
import type { SystemState } from '../machines/state.ts';
import { namesGroups, scenarioGroups } from '../machines/scenario.ts';
import { recordCalls, type CallRecord } from './callTree.ts';
import { traceRows, type TraceRow } from './traceRows.ts';
import { nameContexts } from './stateDiff.ts';
import { builtinScenarioTopology } from '../scenarios/fromTopology.ts';
import { describeRidRoute, describeRoute } from './dmaRoute.ts';

/**
 * For a PASID-safety violation in a scenario with a topology: the route the PASID-tagged DMA
 * takes from the bound device to the peer's BAR, from the hardware model.
 */
export function pasidRoute(v: Violation, model: Model): string | null {
  if (v.invariant === 'RID') return ridRoute(v, model);
  if (v.invariant !== 'I12' && v.invariant !== 'P2P') return null;
  const bt = builtinScenarioTopology(model.scenario);
  const last = v.steps.length ? v.steps[v.steps.length - 1]!.state : v.init;
  // I12: the SVA-bound device, PASID-tagged; P2P: the user-accessible device, plain DMA.
  const pasid = v.invariant === 'I12';
  const a = last.devices.findIndex((d) => d.present && (pasid ? d.sva : d.group_fd !== null || d.iommufd !== null));
  const pair = model.scenario.p2p.find(([x, y]) => x === a && last.devices[y]?.present);
  if (!bt) return null;
  if (pair) return describeRoute(bt.topology, bt.deviceMap[pair[0]]!, bt.deviceMap[pair[1]]!, pasid);
  const outside = model.scenario.outsidePeers?.find((o) => o.reachedFrom.includes(a));
  return outside && a >= 0 ? describeRoute(bt.topology, bt.deviceMap[a]!, outside.name, pasid) : null;
}

/** For a RID violation: the route of the write that carries the other group's requester ID. */
function ridRoute(v: Violation, model: Model): string | null {
  const bt = builtinScenarioTopology(model.scenario);
  const m = /requester ID (\S+) /.exec(v.reason);
  const f = model.scenario.foreignRids?.find((x) => x.rid === m?.[1] && v.reason.startsWith(`${model.scenario.devices[x.from]?.name} `));
  if (!bt || !f) return null;
  return describeRidRoute(bt.topology, bt.deviceMap[f.from]!, f.rid);
}

/** A short summary of a state: each group's fields and each device's driver and domain. */
export function summarizeState(s: SystemState, model: Model): string {
  const groups = s.groups.map((g, gi) => {
    const at = namesGroups(model.scenario) ? `group ${scenarioGroups(model.scenario)[gi]?.name ?? gi}: ` : '';
    return `${at}owner ${g.owner ?? 'NULL'}, owner_cnt ${g.owner_cnt}, domain ${g.domain ?? 'NULL'}, pasid_array [${g.pasid_array.map((p) => p.pasid).join(',')}]`;
  });
  const devs = s.devices
    .map((d, i) => {
      const name = model.scenario.devices[i]?.name ?? `dev${i}`;
      return d.present ? `${name}: ${d.driver ?? 'no driver'}, hw ${d.hw ?? 'NULL'}` : `${name}: absent`;
    })
    .join('; ');
  return `${groups.join('; ')}; ${devs}`;
}

/** The kernel functions a step's call ran below the entry point itself. */
export const innerCalls = (model: Model, row: TraceRow): CallRecord[] =>
  recordCalls(model, row.before, row.event).filter((r) => r.depth > 0 || r.fn !== row.event.type);

/** Renders a counterexample as text. `color` adds terminal colours. */
export function formatTraceText(v: Violation, model: Model, color = false): string {
  const c = color ? pc : { bold: (x: string) => x, red: (x: string) => x, dim: (x: string) => x, green: (x: string) => x, cyan: (x: string) => x };
  const inv = findInvariant(v.invariant);
  const lines: string[] = [];
  lines.push(c.bold(`${v.invariant} ${inv?.name ?? ''}: broken after ${v.steps.length} step${v.steps.length === 1 ? '' : 's'}`) + `  (scenario ${model.scenario.name}, variant ${model.variant.name})`);
  lines.push(c.dim(`  [0] ${summarizeState(v.init, model)}`));
  traceRows(v, model).forEach((row, i) => {
    const ret = row.ret === '0' ? c.green('0') : c.red(row.ret);
    lines.push(`  ${String(i + 1).padStart(2)}. ${c.cyan(row.actor.padEnd(16))} ${row.call} = ${ret}`);
    for (const r of innerCalls(model, row)) {
      lines.push(c.dim(`        ${'  '.repeat(Math.max(0, r.depth))}${r.fn}${r.errno ? ` = -${r.errno} (${r.reason})` : ''}`));
    }
    if (row.changes) lines.push(`        ${c.dim('changed:')} ${row.changes}`);
  });
  // A reason that carries a sequence (UNMAP's map / DMA / unmap / DMA window) prints one step a line.
  const [head, ...seq] = nameContexts(v.reason, model.scenario).split(' | ');
  if (seq.length) {
    const colon = Math.max(0, head!.search(/: 1\. /));
    lines.push(c.red(`  ✗ ${v.invariant}: ${head!.slice(0, colon + 1)}`));
    for (const l of [head!.slice(colon + 2), ...seq]) lines.push(`    ${l}`);
  } else lines.push(c.red(`  ✗ ${v.invariant}: ${nameContexts(v.reason, model.scenario)}`));
  const route = pasidRoute(v, model);
  if (route) lines.push(...route.split('\n').map((l) => `    route: ${l}`));
  if (inv) lines.push(c.dim(`    ${inv.description} [${inv.kernelRef}]`));
  return lines.join('\n');
}
