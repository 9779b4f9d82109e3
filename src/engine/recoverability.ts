/**
 * Recoverability: from every reachable state the machine can return to rest. Safety says
 * nothing bad happens; this says nothing gets stuck.
 *
 * Rest: every user file closed (no VFIO group file open, no device fd, no iommufd binding, no
 * container with a backend), every IOMMU group without an owner and on its default domain (a
 * group with no default domain, emptied by hot-unplug, has none), and owner_cnt equal to the
 * number of bound DMA-API kernel drivers in the group (what I2 expects). Drivers may stay bound.
 *
 * The pass: a breadth-first search over every reachable state that records the forward edges,
 * then a backward search from the rest states; every state that cannot reach rest is stuck. When
 * maxStates cuts the search, the states left unexpanded count as possibly recoverable: a state
 * reported stuck is stuck for certain, but a run without one is "incomplete", never "holds".
 * A state that breaks TypeOK (a negative or impossible counter) is ill-formed: it is not expanded
 * and counts as one that cannot return to rest. This also keeps a leaking model finite: TypeOK
 * bounds owner_cnt by the device count, so a count that leaks on every failed probe stops there.
 * Pure; separate from the fast engine (src/engine/packed) and opt-in (`check --recoverability`).
 */
import { DEFAULT_DOMAIN } from '../kernel/domains.ts';
import { dmaApiBound, groupLabel, inGroup } from '../invariants/facts.ts';
import { typeOk } from '../invariants/typeOk.ts';
import { eventKey, successor, type IommuEvent } from '../machines/events.ts';
import { buildModel, type Model } from '../machines/model.ts';
import { VARIANTS } from '../machines/variants/index.ts';
import { decompose } from '../scenarios/decompose.ts';
import { judge, type CheckResult } from './check.ts';
import type { Scenario } from '../machines/scenario.ts';
import type { SystemState } from '../machines/state.ts';
import { canonicalKey } from './serialize.ts';
import type { TraceStep, Violation } from './types.ts';

export interface RecoverabilityOptions {
  /** Stop the forward search after this many distinct states (verdict `incomplete`). @default 2_000_000 */
  maxStates?: number;
  /** Report at most this many stuck states, the shallowest first. @default 3 */
  maxReported?: number;
}

/** One way a state differs from rest. */
export interface RestGap {
  /** What differs, for a reason: `owner_cnt is 1 but 0 DMA-API driver(s) are bound`. */
  readonly what: string;
  /** The field, short: `owner_cnt`, `vfio group file`, ... */
  readonly field: string;
  /** A value that only changes when a call moves this difference (e.g. owner_cnt minus the drivers). */
  readonly measure: string;
}

/** A state from which rest cannot be reached. */
export interface StuckState {
  readonly state: SystemState;
  /** The shortest trace from the initial state to it. */
  readonly steps: TraceStep[];
  /** Why nothing leaves it: how it differs from rest and where its enabled calls lead. */
  readonly reason: string;
}

export interface RecoverabilityResult {
  /** `holds`: every state reaches rest; `stuck`: some state cannot; `incomplete`: cut short with none found. */
  readonly verdict: 'holds' | 'stuck' | 'incomplete';
  readonly bound: 'max-states' | null;
  readonly distinctStates: number;
  readonly transitions: number;
  readonly restStates: number;
  /** States that cannot reach rest (all of them, not only those reported). */
  readonly stuckStates: number;
  /** The shallowest stuck states, at most maxReported. */
  readonly stuck: StuckState[];
}

/** How `s` differs from rest, field by field (empty: `s` is at rest). */
export function restGaps(s: SystemState, scenario: Scenario): RestGap[] {
  const gaps: RestGap[] = [];
  s.groups.forEach((g, gi) => {
    const where = inGroup(scenario, gi);
    const v = s.vfio_groups[gi];
    if (v && v.opened_by !== null) gaps.push({ what: `ctx${v.opened_by} holds the VFIO group file${where} open`, field: 'vfio group file', measure: `${gi}:${v.opened_by}` });
    if (g.owner !== null) gaps.push({ what: `${where ? groupLabel(scenario, gi) : 'the group'} is owned by ${g.owner}`, field: 'owner', measure: `${gi}:${g.owner}` });
    const want = g.default_domain ? DEFAULT_DOMAIN : null;
    if (g.domain !== want) gaps.push({ what: `group->domain${where} is ${g.domain ?? 'NULL'}, not ${want ?? 'NULL'}`, field: 'domain', measure: `${gi}:${g.domain}` });
    const bound = g.devices.filter((i) => s.devices[i]?.present && dmaApiBound(s.devices[i]!)).length;
    if (g.owner_cnt !== bound) {
      gaps.push({ what: `owner_cnt${where} is ${g.owner_cnt} but ${bound} DMA-API driver(s) are bound`, field: 'owner_cnt', measure: `${gi}:${g.owner_cnt - bound}` });
    }
  });
  s.devices.forEach((d, i) => {
    const name = scenario.devices[i]?.name ?? `dev${i}`;
    if (d.group_fd !== null) gaps.push({ what: `ctx${d.group_fd} holds a device fd of ${name}`, field: 'device fd', measure: `${i}:${d.group_fd}` });
    if (d.iommufd) gaps.push({ what: `${name} is bound to ctx${d.iommufd.ctx}'s iommufd`, field: 'iommufd binding', measure: `${i}:${d.iommufd.ctx}` });
  });
  s.containers.forEach((c, ctx) => {
    if (c.iommu_set) gaps.push({ what: `ctx${ctx}'s container has an IOMMU backend`, field: 'container', measure: `${ctx}` });
  });
  return gaps;
}

/** True when `s` is at rest. */
export const isRest = (s: SystemState, scenario: Scenario): boolean => restGaps(s, scenario).length === 0;

/** The reachable graph: states in breadth-first order, their parents and forward edges. */
interface Graph {
  states: SystemState[];
  parent: number[];
  via: (IommuEvent | null)[];
  next: number[][];
  /** States the bound left unexpanded. */
  frontier: number;
  /** Why a state breaks TypeOK (it is not expanded), by id. */
  illTyped: Map<number, string>;
  transitions: number;
}

function exploreGraph(model: Model, maxStates: number): Graph {
  const ids = new Map<string, number>();
  const g: Graph = { states: [], parent: [], via: [], next: [], frontier: 0, transitions: 0, illTyped: new Map() };
  const add = (s: SystemState, from: number, e: IommuEvent | null): number => {
    const key = canonicalKey(s);
    const seen = ids.get(key);
    if (seen !== undefined) return seen;
    const id = g.states.length;
    ids.set(key, id);
    g.states.push(s);
    g.parent.push(from);
    g.via.push(e);
    return id;
  };
  add(model.init, -1, null);
  let head = 0;
  for (; head < g.states.length; head++) {
    if (g.states.length >= maxStates) break;
    const s = g.states[head]!;
    const out = new Set<number>();
    const broken = typeOk.check!(s, model.scenario);
    if (broken !== null) {
      g.illTyped.set(head, broken);
      g.next.push([]);
      continue;
    }
    for (const e of model.events(s)) {
      const n = successor(model.apply(s, e));
      if (n === null) continue;
      g.transitions++;
      const id = add(n, head, e);
      if (id !== head) out.add(id);
    }
    g.next.push([...out]);
  }
  g.frontier = g.states.length - head;
  return g;
}

/** The states that can reach a rest state or an unexpanded one (a backward search over the edges). */
function canRecover(g: Graph, scenario: Scenario): Uint8Array {
  const n = g.states.length;
  const back: number[][] = Array.from({ length: n }, () => []);
  g.next.forEach((out, from) => out.forEach((to) => back[to]!.push(from)));
  const good = new Uint8Array(n);
  const queue: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i >= g.next.length || isRest(g.states[i]!, scenario)) {
      good[i] = 1;
      queue.push(i);
    }
  }
  for (let h = 0; h < queue.length; h++) {
    for (const p of back[queue[h]!]!) {
      if (good[p]) continue;
      good[p] = 1;
      queue.push(p);
    }
  }
  return good;
}

/** The trace to state `id` along the parent pointers (each call re-run for its errno). */
function traceTo(model: Model, g: Graph, id: number): TraceStep[] {
  const chain: number[] = [];
  for (let i = id; g.parent[i]! >= 0; i = g.parent[i]!) chain.push(i);
  chain.reverse();
  return chain.map((i) => {
    const e = g.via[i]!;
    const r = model.apply(g.states[g.parent[i]!]!, e);
    return { event: e, errno: r.ok ? null : r.errno, state: g.states[i]! };
  });
}

/** Why nothing leaves stuck state `id`: how it differs from rest, and where its calls lead. */
function whyStuck(model: Model, g: Graph, id: number): string {
  const s = g.states[id]!;
  const gaps = restGaps(s, model.scenario);
  const broken = g.illTyped.get(id);
  if (broken !== undefined) return `not at rest: ${gaps.map((x) => x.what).join('; ')}; the state breaks TypeOK (${broken}) and is not expanded`;
  const moves = model.events(s).flatMap((e) => {
    const n = successor(model.apply(s, e));
    return n === null || canonicalKey(n) === canonicalKey(s) ? [] : [{ e, gaps: restGaps(n, model.scenario) }];
  });
  // A difference no enabled call moves: its measure is the same after every call.
  const fixed = gaps.filter((gap) => moves.every((m) => m.gaps.some((x) => x.field === gap.field && x.measure === gap.measure)));
  const parts = [`not at rest: ${gaps.map((x) => x.what).join('; ')}`];
  if (fixed.length) parts.push(`no enabled call changes ${[...new Set(fixed.map((x) => x.field))].join(', ')}`);
  parts.push(
    moves.length === 0
      ? 'no call changes the state'
      : `the ${moves.length} call(s) that change the state (${moves.slice(0, 4).map((m) => eventKey(m.e)).join(', ')}${moves.length > 4 ? ', ...' : ''}) all lead to states that cannot reach rest either`,
  );
  return parts.join('; ');
}

/** Checks that every reachable state of `model` can return to rest. */
export function checkRecoverability(model: Model, options: RecoverabilityOptions = {}): RecoverabilityResult {
  const g = exploreGraph(model, options.maxStates ?? 2_000_000);
  const good = canRecover(g, model.scenario);
  const stuckIds: number[] = [];
  for (let i = 0; i < g.states.length; i++) if (!good[i]) stuckIds.push(i);
  const restStates = g.states.filter((s) => isRest(s, model.scenario)).length;
  // Breadth-first ids: ascending is shallowest first.
  const stuck = stuckIds.slice(0, options.maxReported ?? 3).map((id) => ({ state: g.states[id]!, steps: traceTo(model, g, id), reason: whyStuck(model, g, id) }));
  const bound = g.frontier > 0 ? 'max-states' : null;
  return {
    verdict: stuckIds.length ? 'stuck' : bound ? 'incomplete' : 'holds',
    bound,
    distinctStates: g.states.length,
    transitions: g.transitions,
    restStates,
    stuckStates: stuckIds.length,
    stuck,
  };
}

/** The counterexample of a result: the shallowest stuck state's trace, as invariant REC; null when none. */
export function recoverabilityViolation(model: Model, r: RecoverabilityResult): Violation | null {
  const first = r.stuck[0];
  if (!first) return null;
  const more = r.stuckStates > 1 ? ` (${r.stuckStates} reachable states cannot reach rest; this is the shallowest)` : '';
  return { invariant: 'REC', reason: `cannot return to rest${more}: ${first.reason}`, kind: 'recoverability', init: model.init, steps: first.steps };
}

/**
 * A check row with the recoverability pass added: the pass runs on the row's model (on each
 * independent component when `decompose` and the row's variant allow it, as runJobDecomposed
 * splits: whole can return to rest iff every component can), a stuck state becomes a REC
 * violation of the row, REC joins the judged invariants, and the row is judged again. A pass cut
 * short with no stuck state leaves the row incomplete. The exploration's own counts are unchanged.
 */
export function withRecoverability(r: CheckResult, options: { maxStates?: number; decompose?: boolean } = {}): CheckResult {
  const v = r.model.variant;
  const split = options.decompose && !v.crossesGroups && VARIANTS.includes(v) ? decompose(r.model.scenario) : [];
  const models = split.length > 1 ? split.map((s) => buildModel(s, v)) : [r.model];
  let found: { v: Violation; model: Model } | null = null;
  let bound: RecoverabilityResult['bound'] = null;
  for (const model of models) {
    const rec = checkRecoverability(model, { maxStates: options.maxStates });
    bound ??= rec.bound;
    const violation = recoverabilityViolation(model, rec);
    if (violation && (!found || violation.steps.length < found.v.steps.length)) found = { v: violation, model };
  }
  const violations = found ? [...r.result.violations.filter((x) => x.invariant !== 'REC'), found.v] : r.result.violations;
  const result = { ...r.result, violations, status: violations.length ? ('violated' as const) : r.result.status, bound: r.result.bound ?? (found ? null : bound) };
  const violationModels = found && found.model !== r.model ? new Map([...(r.violationModels ?? []), [found.v, found.model]]) : r.violationModels;
  const judged = r.judgement.judged.includes('REC') ? r.judgement.judged : [...r.judgement.judged, 'REC'];
  const notJudged = r.judgement.notJudged.filter((n) => n.id !== 'REC');
  return { ...r, result, ...(violationModels ? { violationModels } : {}), judgement: { judged, notJudged }, ...judge(result, r.expectation, true) };
}
