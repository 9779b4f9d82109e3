/**
 * Pure rendering of a topology: the tree, the derived IOMMU groups (mainline
 * `pci_device_group()` or the pending switch-groups rule) and how they compare with recorded
 * ones, the ACS assumptions that reproduce recorded groups when lspci could not read ACS, I13
 * grouping soundness, the reachability matrix and the verdict; as a JSON-plain report object
 * and as text.
 */
import pc from 'picocolors';
import type { AcsInference, AcsState, GroupingRule, Grouping, IdRecovered, PciDevice, ReachSummary, RecordedGroup, RidCrossing, Topology } from '../hardware/index.ts';
import {
  ACS,
  ACS_BITS,
  BRIDGE_KINDS,
  KERNEL_ACS_POLICY,
  ridCrossings,
  KIND_LABEL,
  SWITCH_GROUPS_V3,
  checkGroupingSoundness,
  compareGroupings,
  groupingBy,
  hex,
  inferAcs,
  reachabilitySummary,
  recordedIdsOfGroups,
} from '../hardware/index.ts';

/** Which rule derived the groups, and (switch-groups) its disputed assumption. */
export interface GroupingInfo {
  readonly rule: GroupingRule;
  /** switch-groups: the value of the parameter; null for mainline. */
  readonly assumeNoLoopbackWithoutAcsCap: boolean | null;
  /** switch-groups: some group split rests only on the assumption, so every verdict here depends on it; null for mainline. */
  readonly assumptionUsed: boolean | null;
  /** switch-groups: `pci_bus_isolated()` of each bus (2-digit hex); null for mainline. */
  readonly busIsolation: Readonly<Record<string, string>> | null;
}

/** The JSON report of `iommu-mc topology`. */
export interface TopologyReport {
  readonly topology: string;
  readonly description: string | null;
  readonly source: 'builtin' | 'file' | 'lspci';
  readonly grouping: GroupingInfo;
  readonly devices: readonly {
    readonly bdf: string;
    readonly name: string;
    readonly kind: string;
    readonly kindKnown: boolean;
    readonly id: string | null;
    readonly multifunction: boolean;
    readonly acs: { readonly cap: string[]; readonly ctrl: string[] } | null | 'unknown';
    readonly bars: readonly { readonly index: number; readonly start: string; readonly end: string }[];
    readonly bus: { readonly secondary: number; readonly subordinate: number } | null;
    readonly group: number;
    readonly recordedGroup: number | null;
    readonly why: string;
    readonly driver: string | null;
  }[];
  /** Derived groups; `recordedId`: the recorded group with exactly these devices, if any. */
  readonly groups: readonly { readonly id: number; readonly devices: readonly string[]; readonly recordedId: number | null }[];
  readonly recordedGroups: readonly RecordedGroup[] | null;
  readonly matchesRecorded: boolean | null;
  readonly differences: readonly string[];
  readonly unknownAcs: readonly string[];
  /** lspci without root but with recorded groups: the ACS assumptions that reproduce them (mainline rule). */
  readonly acsInference: AcsInference | null;
  /** lspci without -n: devices whose vendor:device ID was read from their names. */
  readonly idsFromNames: readonly IdRecovered[];
  /** I13: null when sound, else the reason. */
  readonly groupingSoundness: string | null;
  /**
   * Requester IDs a device can put on the wire that belong to a device of another group (DMA
   * aliases, IDs forged below a port without ACS SV): what `check` judges as RID once a device is
   * handed to a user. Reported, not part of the exit code.
   */
  readonly ridCrossings: readonly RidCrossing[];
  /** How many crossings there are: ridCrossings.length, unless the report was built with a ridCrossingLimit. */
  readonly ridCrossingCount: number;
  /**
   * The reachability matrix (every DMA-capable function's request at each BAR of every other
   * function) in short: the requesters and targets, counts by path, and the cells whose path is
   * not 'iommu' (a requester-target pair not listed goes to the IOMMU), routes deduplicated.
   */
  readonly reachability: ReachSummary;
  readonly warnings: readonly string[];
  /** Exit 0 when ok: I13 holds and the groups equal the recorded ones (when recorded); else exit 1. */
  readonly verdict: { readonly ok: boolean; readonly reasons: readonly string[] };
}

/** What the report is built from. */
export interface TopologyReportInput {
  readonly topology: Topology;
  readonly source: TopologyReport['source'];
  readonly grouping?: GroupingRule;
  readonly recordedGroups?: readonly RecordedGroup[] | null;
  readonly unknownAcs?: readonly string[];
  readonly idsFromNames?: readonly IdRecovered[];
  readonly warnings?: readonly string[];
  /**
   * Keep only the first this many ridCrossings (ridCrossingCount still counts all): the text
   * shows RID_CROSSINGS_SHOWN, and without ACS SV nearly every pair of functions crosses.
   */
  readonly ridCrossingLimit?: number;
}

/** How many requester-ID crossings the text report prints. */
export const RID_CROSSINGS_SHOWN = 12;

const bits = (m: number) => ACS_BITS.filter((b) => m & ACS[b]);
const acsJson = (a: AcsState) => (a === null || a === 'unknown' ? a : { cap: bits(a.cap), ctrl: bits(a.ctrl) });
const hex4 = (n: number) => (n < 0 ? '????' : n.toString(16).padStart(4, '0'));

/** The groups of the chosen rule (groupingBy), with what the report shows about the rule. */
function derive(topology: Topology, rule: GroupingRule): { grouping: Grouping; info: GroupingInfo } {
  const g = groupingBy(topology, rule, SWITCH_GROUPS_V3);
  const v3 = rule === 'switch-groups';
  return { grouping: g, info: { rule, assumeNoLoopbackWithoutAcsCap: v3 ? SWITCH_GROUPS_V3.assumeNoLoopbackWithoutAcsCap : null, assumptionUsed: g.assumptionUsed, busIsolation: g.busIsolation } };
}

/** A route as printed: a hop at the same device as the one before (issue, then peer-internal) once. */
const dedupeRoute = (route: readonly string[]) => route.filter((at, i) => i === 0 || route[i - 1] !== at);

function reachabilityOf(topology: Topology): ReachSummary {
  const r = reachabilitySummary(topology);
  return { ...r, cells: r.cells.map((c) => ({ ...c, route: dedupeRoute(c.route) })) };
}

function deviceJson(d: PciDevice, grouping: Grouping): TopologyReport['devices'][number] {
  return {
    bdf: d.bdf,
    name: d.name,
    kind: d.kind,
    kindKnown: d.kindKnown,
    id: d.vendor >= 0 ? `${hex4(d.vendor)}:${hex4(d.device)}` : null,
    multifunction: d.multifunction,
    acs: acsJson(d.acs),
    bars: d.bars.map((b) => ({ index: b.index, start: hex(b.start), end: hex(b.end) })),
    bus: d.secondary !== undefined ? { secondary: d.secondary, subordinate: d.subordinate ?? d.secondary } : null,
    group: grouping.groupOf[d.bdf]!,
    recordedGroup: d.recordedGroup ?? null,
    why: grouping.why[d.bdf]!,
    driver: d.driver ?? null,
  };
}

function verdictOf(soundness: string | null, matches: boolean | null): TopologyReport['verdict'] {
  const reasons: string[] = [];
  if (soundness !== null) reasons.push('I13 broken: two groups reach each other without the IOMMU');
  if (matches === false) reasons.push('the derived groups differ from the IOMMU groups the dump recorded');
  return { ok: reasons.length === 0, reasons };
}

/** Builds the JSON report (pure). */
export function buildTopologyReport(input: TopologyReportInput): TopologyReport {
  const { topology } = input;
  const { grouping, info } = derive(topology, input.grouping ?? 'mainline');
  const recorded = input.recordedGroups ?? null;
  const cmp = recorded ? compareGroupings(grouping, recorded) : null;
  const recordedIds = recorded ? recordedIdsOfGroups(grouping, recorded) : {};
  const unknownAcs = input.unknownAcs ?? [];
  const warnings = [...(input.warnings ?? [])];
  if (unknownAcs.length > 0) {
    warnings.push(`ACS unknown (lspci <access denied>) for ${unknownAcs.length} device(s); derived groups assume no ACS capability there (run lspci as root)`);
  }
  const reachability = reachabilityOf(topology);
  // The summary's p2p cells are the pairs checkGroupingSoundness looks for: route them once.
  const groupingSoundness = checkGroupingSoundness(topology, grouping, KERNEL_ACS_POLICY, reachability);
  const requesters = topology.devices.filter((d) => !BRIDGE_KINDS.includes(d.kind));
  const crossings = ridCrossings(topology, grouping, requesters, input.ridCrossingLimit);
  return {
    ridCrossings: crossings.list,
    ridCrossingCount: crossings.count,
    topology: topology.name,
    description: topology.description ?? null,
    source: input.source,
    grouping: info,
    devices: topology.devices.map((d) => deviceJson(d, grouping)),
    groups: grouping.groups.map((g) => ({ id: g.id, devices: [...g.devices], recordedId: recordedIds[g.id] ?? null })),
    recordedGroups: recorded,
    matchesRecorded: cmp ? cmp.matches : null,
    differences: cmp ? cmp.differences : [],
    unknownAcs,
    acsInference: recorded && unknownAcs.length > 0 ? inferAcs(topology, recorded) : null,
    idsFromNames: input.idsFromNames ?? [],
    groupingSoundness,
    reachability,
    warnings,
    verdict: verdictOf(groupingSoundness, cmp ? cmp.matches : null),
  };
}

type Paint = (s: string) => string;
interface Palette {
  readonly dim: Paint;
  readonly bold: Paint;
  readonly red: Paint;
  readonly green: Paint;
  readonly yellow: Paint;
  readonly cyan: Paint;
}
const plain: Palette = { dim: (s) => s, bold: (s) => s, red: (s) => s, green: (s) => s, yellow: (s) => s, cyan: (s) => s };
const colored: Palette = { dim: pc.dim, bold: pc.bold, red: pc.red, green: pc.green, yellow: pc.yellow, cyan: pc.cyan };
type Dev = TopologyReport['devices'][number];

function acsText(a: Dev['acs']): string {
  if (a === null) return 'no ACS';
  if (a === 'unknown') return 'ACS unknown';
  return `ACS ctl ${ACS_BITS.map((b) => `${b}${a.ctrl.includes(b) ? '+' : a.cap.includes(b) ? '-' : '.'}`).join(' ')}`;
}

function deviceLine(d: Dev, p: Palette): string {
  const name = d.name !== d.bdf ? ` ${p.cyan(d.name)}` : '';
  const kind = `[${KIND_LABEL[d.kind as PciDevice['kind']] ?? d.kind}${d.kindKnown ? '' : '?'}]`;
  const id = d.id ? ` ${p.dim(d.id)}` : '';
  const bars = d.bars.map((b) => ` BAR${b.index} ${b.start}-${b.end}`).join('');
  const acs = d.bus || d.multifunction ? ` ${acsText(d.acs)}` : '';
  const rec = d.recordedGroup !== null && d.recordedGroup !== d.group ? ` (recorded ${d.recordedGroup})` : '';
  return `${d.bdf}${name} ${kind}${id}${acs}${p.dim(bars)} ${p.yellow(`group ${d.group}${rec}`)}`;
}

function renderTree(report: TopologyReport, p: Palette): string[] {
  const out = [p.bold('tree')];
  const bySecondary = new Map<number, Dev>();
  for (const d of report.devices) if (d.bus) bySecondary.set(d.bus.secondary, d);
  const busOf = (d: Dev) => parseInt(d.bdf.slice(0, 2), 16);
  const walk = (d: Dev, prefix: string, last: boolean, top: boolean) => {
    out.push(`${prefix}${top ? '' : last ? '└─ ' : '├─ '}${deviceLine(d, p)}`);
    if (!d.bus) return;
    const kids = report.devices.filter((k) => busOf(k) === d.bus!.secondary);
    const next = top ? '' : prefix + (last ? '   ' : '│  ');
    kids.forEach((k, i) => walk(k, top ? '   ' : next, i === kids.length - 1, false));
  };
  report.devices.filter((d) => !bySecondary.has(busOf(d))).forEach((r) => walk(r, '', true, true));
  return out;
}

function ruleTitle(g: GroupingInfo): string {
  if (g.rule === 'mainline') return 'derived IOMMU groups (pci_device_group)';
  return `derived IOMMU groups (switch-groups: pcie_switch_groups v3 pci_device_group/pci_bus_isolated, assumeNoLoopbackWithoutAcsCap=${g.assumeNoLoopbackWithoutAcsCap})`;
}

function renderAssumption(g: GroupingInfo, p: Palette): string[] {
  if (g.rule !== 'switch-groups') return [];
  const buses = Object.entries(g.busIsolation ?? {}).map(([b, iso]) => `${b} ${iso}`).join(', ');
  const used = g.assumptionUsed
    ? p.yellow('  assumptionUsed: yes: a multifunction function or root port without an ACS capability got a group apart only because of assumeNoLoopbackWithoutAcsCap; the verdicts below depend on it')
    : '  assumptionUsed: no: no group split rests on assumeNoLoopbackWithoutAcsCap';
  return [used, `  pci_bus_isolated: ${buses}`];
}

function renderGroups(report: TopologyReport, p: Palette): string[] {
  const out = [p.bold(ruleTitle(report.grouping)), ...renderAssumption(report.grouping, p)];
  for (const g of report.groups) {
    const rec = !report.recordedGroups ? '' : g.recordedId !== null ? ` (recorded group ${g.recordedId})` : ' (no recorded group has exactly these devices)';
    out.push(`  group ${g.id}${rec}: ${g.devices.join(' ')}`);
  }
  return out;
}

function renderRecorded(report: TopologyReport, p: Palette): string[] {
  if (!report.recordedGroups) return [];
  const out = ['', p.bold('recorded IOMMU groups (lspci)')];
  for (const g of report.recordedGroups) out.push(`  group ${g.id}: ${g.devices.join(' ')}`);
  if (report.matchesRecorded) {
    const renumbered = report.groups.filter((g) => g.recordedId !== null && g.recordedId !== g.id).length;
    const numbers = renumbered > 0 ? `; the numbers differ for ${renumbered} group(s) (the kernel numbers in its own probe order), recorded numbers are shown beside the derived ones` : '';
    out.push(p.green(`  derived grouping matches the recorded one: the same devices share a group${numbers}`));
  } else out.push(p.red('  derived grouping differs from the recorded one:'));
  for (const d of report.differences) out.push(`    ${d}`);
  return out;
}

function renderInference(report: TopologyReport, p: Palette): string[] {
  const inf = report.acsInference;
  if (!inf) return [];
  const list = (xs: readonly string[]) => (xs.length ? xs.join(' ') : '(none)');
  const out = ['', p.bold('ACS assumptions that reproduce the recorded groups (ACS unreadable: lspci without root)')];
  out.push(inf.reproduced ? p.green('  reproduced: mainline pci_device_group gives the recorded groups when') : p.red(`  not reproduced by any assignment tried; still grouped unlike the record: ${list(inf.unexplained)}; best assignment:`));
  out.push(`  isolating (ACS SV|RR|CR|UF enabled): ${list(inf.isolating)}`);
  out.push(`  not isolating (no ACS capability): ${list(inf.notIsolating)}`);
  if (inf.either.length) out.push(`  either (each on its own leaves the groups as recorded): ${list(inf.either)}`);
  return out;
}

function renderReachability(report: TopologyReport, p: Palette): string[] {
  const out = [p.bold('reachability (request at the target BAR: p2p = lands without the IOMMU, iommu = translated first, blocked = ACS)')];
  const { targets, requesters: sources } = report.reachability;
  if (targets.length > 0 && targets.length <= 12 && sources.length <= 40) {
    const w = 8;
    const listed = new Map(report.reachability.cells.map((c) => [`${c.from}>${c.to}`, c]));
    out.push(`  ${'from \\ to'.padEnd(w + 2)}${targets.map((t) => t.padEnd(w)).join(' ')}`);
    for (const s of sources) {
      const cells = targets.map((t) => {
        if (t === s) return '·'.padEnd(w);
        // Every requester was probed against every target; pairs not listed go to the IOMMU.
        const c = listed.get(`${s}>${t}`) ?? { path: 'iommu' };
        const v = c.path.padEnd(w);
        return c.path === 'p2p' ? p.red(v) : c.path === 'iommu' ? p.green(v) : v;
      });
      out.push(`  ${s.padEnd(w + 2)}${cells.join(' ')}`);
    }
  }
  const p2p = report.reachability.cells.filter((c) => c.path === 'p2p');
  out.push(`  ${p2p.length} peer-to-peer path(s) that bypass the IOMMU`);
  for (const c of p2p.slice(0, 40)) out.push(`    ${c.from} -> ${c.to}: ${c.route.join(' -> ')}`);
  if (p2p.length > 40) out.push(`    ... ${p2p.length - 40} more`);
  return out;
}

/** Renders the report as text; `color` adds picocolors. */
/** The requester IDs that cross groups, a line each (at most 12, then a count). */
function renderRidCrossings(report: TopologyReport, p: Palette): string[] {
  const x = report.ridCrossings;
  const total = report.ridCrossingCount;
  if (total === 0) return ['', p.bold('Requester IDs'), p.green('  no device can emit the requester ID of a device in another group')];
  const shown = x.slice(0, RID_CROSSINGS_SHOWN).map((c) => `  ${c.from} can emit ${c.rid} (${c.how}), ${c.owner}'s: ${c.note}`);
  const more = total > RID_CROSSINGS_SHOWN ? [`  ... and ${total - RID_CROSSINGS_SHOWN} more (--json lists them all)`] : [];
  return ['', p.bold('Requester IDs of other groups (judged by check as RID once a device is handed to a user)'), ...shown.map(p.yellow), ...more];
}

export function renderTopologyText(report: TopologyReport, color = false): string {
  const p = color ? colored : plain;
  const title = `${p.bold(`topology ${report.topology}`)}${report.description ? ` ${p.dim(`— ${report.description}`)}` : ''}`;
  const sound = report.groupingSoundness === null ? p.green('  holds: no two groups reach each other without the IOMMU') : p.red(`  ${report.groupingSoundness}`);
  const verdict = report.verdict.ok ? p.green('verdict: ok (exit 0)') : p.red(`verdict: ${report.verdict.reasons.join('; ')} (exit 1)`);
  return [
    title,
    '',
    ...renderTree(report, p),
    '',
    ...renderGroups(report, p),
    ...renderRecorded(report, p),
    ...renderInference(report, p),
    '',
    p.bold('I13 grouping soundness'),
    sound,
    '',
    ...renderReachability(report, p),
    ...renderRidCrossings(report, p),
    ...(report.warnings.length ? ['', ...report.warnings.map((w) => p.yellow(`warning: ${w}`))] : []),
    '',
    verdict,
  ].join('\n');
}
