/**
 * Pure rendering of a topology: the tree, the derived IOMMU groups (and how they
 * compare with recorded ones), I13 grouping soundness, and the reachability matrix;
 * as a JSON-plain report object and as text.
 */
import pc from 'picocolors';
import type { Grouping, RecordedGroup, ReachCell, Topology, PciDevice, AcsState } from '../hardware/index.ts';
import { ACS_BITS, ACS, KIND_LABEL, checkGroupingSoundness, compareGroupings, deriveGroups, hex, reachabilityMatrix } from '../hardware/index.ts';

/** The JSON report of `iommu-mc topology`. */
export interface TopologyReport {
  readonly topology: string;
  readonly description: string | null;
  readonly source: 'builtin' | 'file' | 'lspci';
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
    readonly why: string;
    readonly driver: string | null;
  }[];
  readonly groups: readonly { readonly id: number; readonly devices: readonly string[] }[];
  readonly recordedGroups: readonly RecordedGroup[] | null;
  readonly matchesRecorded: boolean | null;
  readonly differences: readonly string[];
  readonly unknownAcs: readonly string[];
  /** I13: null when sound, else the reason. */
  readonly groupingSoundness: string | null;
  readonly reachability: readonly ReachCell[];
  readonly warnings: readonly string[];
}

/** What the report is built from. */
export interface TopologyReportInput {
  readonly topology: Topology;
  readonly source: TopologyReport['source'];
  readonly recordedGroups?: readonly RecordedGroup[] | null;
  readonly unknownAcs?: readonly string[];
  readonly warnings?: readonly string[];
}

const bits = (m: number) => ACS_BITS.filter((b) => m & ACS[b]);
const acsJson = (a: AcsState) => (a === null || a === 'unknown' ? a : { cap: bits(a.cap), ctrl: bits(a.ctrl) });

/** Builds the JSON report (pure). */
export function buildTopologyReport(input: TopologyReportInput): TopologyReport {
  const { topology } = input;
  const grouping: Grouping = deriveGroups(topology);
  const recorded = input.recordedGroups ?? null;
  const cmp = recorded ? compareGroupings(grouping, recorded) : null;
  const unknownAcs = input.unknownAcs ?? [];
  const warnings = [...(input.warnings ?? [])];
  if (unknownAcs.length > 0) {
    warnings.push(`ACS unknown (lspci <access denied>) for ${unknownAcs.length} device(s); derived groups assume no ACS capability there (run lspci as root)`);
  }
  return {
    topology: topology.name,
    description: topology.description ?? null,
    source: input.source,
    devices: topology.devices.map((d) => ({
      bdf: d.bdf,
      name: d.name,
      kind: d.kind,
      kindKnown: d.kindKnown,
      id: d.vendor >= 0 ? `${d.vendor.toString(16).padStart(4, '0')}:${d.device.toString(16).padStart(4, '0')}` : null,
      multifunction: d.multifunction,
      acs: acsJson(d.acs),
      bars: d.bars.map((b) => ({ index: b.index, start: hex(b.start), end: hex(b.end) })),
      bus: d.secondary !== undefined ? { secondary: d.secondary, subordinate: d.subordinate ?? d.secondary } : null,
      group: grouping.groupOf[d.bdf]!,
      why: grouping.why[d.bdf]!,
      driver: d.driver ?? null,
    })),
    groups: grouping.groups.map((g) => ({ id: g.id, devices: [...g.devices] })),
    recordedGroups: recorded,
    matchesRecorded: cmp ? cmp.matches : null,
    differences: cmp ? cmp.differences : [],
    unknownAcs,
    groupingSoundness: checkGroupingSoundness(topology, grouping),
    reachability: reachabilityMatrix(topology),
    warnings,
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

function acsText(a: TopologyReport['devices'][number]['acs']): string {
  if (a === null) return 'no ACS';
  if (a === 'unknown') return 'ACS unknown';
  return `ACS ctl ${ACS_BITS.map((b) => `${b}${a.ctrl.includes(b) ? '+' : a.cap.includes(b) ? '-' : '.'}`).join(' ')}`;
}

/** Renders the report as text; `color` adds picocolors. */
export function renderTopologyText(report: TopologyReport, color = false): string {
  const p = color ? colored : plain;
  const out: string[] = [];
  out.push(`${p.bold(`topology ${report.topology}`)}${report.description ? ` ${p.dim(`— ${report.description}`)}` : ''}`);
  out.push('');
  out.push(p.bold('tree'));
  const bySecondary = new Map<number, typeof report.devices[number]>();
  for (const d of report.devices) if (d.bus) bySecondary.set(d.bus.secondary, d);
  const busOf = (d: (typeof report.devices)[number]) => parseInt(d.bdf.slice(0, 2), 16);
  const roots = report.devices.filter((d) => !bySecondary.has(busOf(d)));
  const line = (d: (typeof report.devices)[number]) => {
    const name = d.name !== d.bdf ? ` ${p.cyan(d.name)}` : '';
    const kind = `[${KIND_LABEL[d.kind as PciDevice['kind']] ?? d.kind}${d.kindKnown ? '' : '?'}]`;
    const id = d.id ? ` ${p.dim(d.id)}` : '';
    const bars = d.bars.map((b) => ` BAR${b.index} ${b.start}-${b.end}`).join('');
    const acs = d.bus || d.multifunction ? ` ${acsText(d.acs)}` : '';
    return `${d.bdf}${name} ${kind}${id}${acs}${p.dim(bars)} ${p.yellow(`group ${d.group}`)}`;
  };
  const walk = (d: (typeof report.devices)[number], prefix: string, last: boolean, top: boolean) => {
    out.push(`${prefix}${top ? '' : last ? '└─ ' : '├─ '}${line(d)}`);
    if (!d.bus) return;
    const kids = report.devices.filter((k) => busOf(k) === d.bus!.secondary);
    const next = top ? '' : prefix + (last ? '   ' : '│  ');
    kids.forEach((k, i) => walk(k, top ? '   ' : next, i === kids.length - 1, false));
  };
  roots.forEach((r) => walk(r, '', true, true));
  out.push('');
  out.push(p.bold('derived IOMMU groups (pci_device_group)'));
  for (const g of report.groups) out.push(`  group ${g.id}: ${g.devices.join(' ')}`);
  if (report.recordedGroups) {
    out.push('');
    out.push(p.bold('recorded IOMMU groups (lspci)'));
    for (const g of report.recordedGroups) out.push(`  group ${g.id}: ${g.devices.join(' ')}`);
    out.push(report.matchesRecorded ? p.green('  derived grouping matches the recorded one') : p.red('  derived grouping differs from the recorded one:'));
    for (const d of report.differences) out.push(`    ${d}`);
  }
  out.push('');
  out.push(p.bold('I13 grouping soundness'));
  out.push(report.groupingSoundness === null ? p.green('  holds: no two groups reach each other without the IOMMU') : p.red(`  ${report.groupingSoundness}`));
  out.push('');
  out.push(p.bold('reachability (request at the target BAR: p2p = lands without the IOMMU, iommu = translated first, blocked = ACS)'));
  const targets = [...new Set(report.reachability.map((c) => c.to))].sort();
  const sources = [...new Set(report.reachability.map((c) => c.from))];
  if (targets.length > 0 && targets.length <= 12 && sources.length <= 40) {
    const w = 8;
    out.push(`  ${'from \\ to'.padEnd(w + 2)}${targets.map((t) => t.padEnd(w)).join(' ')}`);
    for (const s of sources) {
      const cells = targets.map((t) => {
        if (t === s) return '·'.padEnd(w);
        const c = report.reachability.find((x) => x.from === s && x.to === t);
        const v = (c?.path ?? '-').padEnd(w);
        return c?.path === 'p2p' ? p.red(v) : c?.path === 'iommu' ? p.green(v) : v;
      });
      out.push(`  ${s.padEnd(w + 2)}${cells.join(' ')}`);
    }
  }
  const p2p = report.reachability.filter((c) => c.path === 'p2p');
  out.push(`  ${p2p.length} peer-to-peer path(s) that bypass the IOMMU`);
  for (const c of p2p.slice(0, 40)) out.push(`    ${c.from} -> ${c.to}: ${c.route.join(' -> ')}`);
  if (p2p.length > 40) out.push(`    ... ${p2p.length - 40} more`);
  if (report.warnings.length > 0) {
    out.push('');
    for (const w of report.warnings) out.push(p.yellow(`warning: ${w}`));
  }
  return out.join('\n');
}
