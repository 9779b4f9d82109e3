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
import { dmaAccessOf, type DmaAccess } from './dmaAccess.ts';
import { driverCallText, isDriverStep } from '../kernel/iommuDrivers.ts';
import { iommuDriverOf } from '../machines/platform.ts';

/**
 * Whose write a hardware violation is about, by the topology's device names: for RID, the device
 * that can put another group's requester ID on the wire; for I12 (PASID-tagged, from the
 * SVA-bound device) and P2P (plain DMA, from the user-accessible device), the writer and the peer
 * (a device of the scenario or an outside peer). Null without a topology or for other invariants.
 */
export type RouteEnds = { kind: 'rid'; from: string; rid: string } | { kind: 'peer'; from: string; to: string; pasid: boolean };

export function routeEnds(v: Violation, model: Model): RouteEnds | null {
  const bt = builtinScenarioTopology(model.scenario);
  if (!bt) return null;
  if (v.invariant === 'RID') {
    const m = /requester ID (\S+) /.exec(v.reason);
    const f = model.scenario.foreignRids?.find((x) => x.rid === m?.[1] && v.reason.startsWith(`${model.scenario.devices[x.from]?.name} `));
    return f ? { kind: 'rid', from: bt.deviceMap[f.from]!, rid: f.rid } : null;
  }
  if (v.invariant !== 'I12' && v.invariant !== 'P2P') return null;
  const last = v.steps.length ? v.steps[v.steps.length - 1]!.state : v.init;
  const pasid = v.invariant === 'I12';
  const a = last.devices.findIndex((d) => d.present && (pasid ? d.sva : d.group_fd !== null || d.iommufd !== null));
  const pair = model.scenario.p2p.find(([x, y]) => x === a && last.devices[y]?.present);
  if (pair) return { kind: 'peer', from: bt.deviceMap[pair[0]]!, to: bt.deviceMap[pair[1]]!, pasid };
  const outside = model.scenario.outsidePeers?.find((o) => o.reachedFrom.includes(a));
  return outside && a >= 0 ? { kind: 'peer', from: bt.deviceMap[a]!, to: outside.name, pasid } : null;
}

/**
 * For a hardware violation (I12, P2P, RID) in a scenario with a topology: the route the write
 * takes through the fabric, from the hardware model, as text.
 */
export function pasidRoute(v: Violation, model: Model): string | null {
  const e = routeEnds(v, model);
  const bt = builtinScenarioTopology(model.scenario);
  if (!e || !bt) return null;
  return e.kind === 'rid' ? describeRidRoute(bt.topology, e.from, e.rid) : describeRoute(bt.topology, e.from, e.to, e.pasid);
}

/** The DMA access of a violation's last step (the faulty access of a step invariant such as STALE), or null. */
export function faultyAccess(v: Violation, model: Model): DmaAccess | null {
  const last = v.steps[v.steps.length - 1];
  if (!last || last.errno) return null;
  const before = v.steps.length > 1 ? v.steps[v.steps.length - 2]!.state : v.init;
  return dmaAccessOf(before, last.event, model.scenario);
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

/**
 * The IOMMU driver's own function behind a model step (`iommu_iotlb_sync`, `iommu_flush_dev_iotlb`,
 * `pci_enable_ats`, `fq_flush_timeout`) on the scenario's `platform.iommuDriver`, as one trace
 * line (`arm-smmu-v3: arm_smmu_iotlb_sync -> ... (file)`), or null for any other function.
 */
export function driverLineOf(model: Model, fn: string): string | null {
  if (!isDriverStep(fn)) return null;
  const text = driverCallText(iommuDriverOf(model.scenario), fn);
  return fn in model.variant.overrides ? `${text}, as the kernel has it; variant ${model.variant.name} overrides ${fn}` : text;
}

/**
 * The lines under a step's call: the driver's function behind the step itself, then each inner
 * kernel call, with the driver's function under an inner call that is a driver step (not under one
 * whose caller was already cited: fq_flush_timeout's flush_iotlb_all covers its device-TLB flush).
 */
function callLines(model: Model, row: TraceRow, dim: (x: string) => string): string[] {
  const out: string[] = [];
  const top = driverLineOf(model, row.event.type);
  if (top) out.push(dim(`        driver ${top}`));
  let citedAt = top ? -1 : Infinity;
  for (const r of innerCalls(model, row)) {
    const indent = `        ${'  '.repeat(Math.max(0, r.depth))}`;
    out.push(dim(`${indent}${r.fn}${r.errno ? ` = -${r.errno} (${r.reason})` : ''}`));
    if (r.depth <= citedAt) citedAt = Infinity;
    const line = citedAt === Infinity ? driverLineOf(model, r.fn) : null;
    if (line) {
      out.push(dim(`${indent}  driver ${line}`));
      citedAt = r.depth;
    }
  }
  return out;
}

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
    lines.push(...callLines(model, row, c.dim));
    if (row.changes) lines.push(`        ${c.dim('changed:')} ${row.changes}`);
    row.translation.forEach((t, j) => lines.push(`        ${c.dim(j === 0 ? 'translation:' : '            ')} ${t}`));
    if (row.access) lines.push(`        ${c.dim('DMA:')} ${row.access.stale ? c.red(row.access.text) : row.access.text}`);
  });
  // A reason that carries a sequence (UNMAP's map / DMA / unmap / DMA window) prints one step a line.
  const [head, ...seq] = nameContexts(v.reason, model.scenario).split(' | ');
  if (seq.length) {
    const colon = Math.max(0, head!.search(/: 1\. /));
    lines.push(c.red(`  ✗ ${v.invariant}: ${head!.slice(0, colon + 1)}`));
    for (const l of [head!.slice(colon + 2), ...seq]) lines.push(`    ${l}`);
  } else lines.push(c.red(`  ✗ ${v.invariant}: ${nameContexts(v.reason, model.scenario)}`));
  const route = pasidRoute(v, model) ?? faultyAccess(v, model)?.route;
  if (route) lines.push(...route.split('\n').map((l) => `    route: ${l}`));
  if (inv) lines.push(c.dim(`    ${inv.description} [${inv.kernelRef}]`));
  return lines.join('\n');
}
