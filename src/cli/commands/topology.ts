/**
 * `iommu-mc topology FILE|BUILTIN [--grouping RULE] [--json]` and
 * `iommu-mc topology --lspci FILE [--grouping RULE] [--json]`: prints the tree, the derived
 * IOMMU groups (compared with recorded ones for lspci dumps), I13 grouping soundness and the
 * reachability matrix. Exit 0: I13 holds and the groups equal the recorded ones (if any);
 * 1: I13 broken or the groups differ; 2: bad usage or bad input.
 */
import { statSync } from 'node:fs';
import { Command } from 'commander';
import pc from 'picocolors';
import type { CommandFactory } from './commandFactory.ts';
import { EXIT, UsageError } from '../errors.ts';
import { readTextFile } from '../files.ts';
import type { GroupingRule } from '../../hardware/index.ts';
import { BUILTIN_TOPOLOGY_NAMES, GROUPING_RULES, getBuiltinTopology, lspciDeviceLine, parseLspci, parseTopology } from '../../hardware/index.ts';
import type { TopologyReportInput } from '../../report/topology.ts';
import { RID_CROSSINGS_SHOWN, buildTopologyReport, renderTopologyText } from '../../report/topology.ts';

function readInput(file: string): string {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new UsageError(`${file}: (root): expected a readable file or a builtin topology name (${BUILTIN_TOPOLOGY_NAMES.join(', ')}), got no such file`);
  }
  if (st.isDirectory()) throw new UsageError(`${file}: (root): expected a file, got a directory`);
  // Regular files only (a FIFO or /dev/zero would block or eat memory), at most 16 MiB.
  return readTextFile(file);
}

/** The `--grouping` value, or a one-line usage error naming the option and the expected values. */
function groupingRule(value: string | undefined): GroupingRule {
  if (value === undefined) return 'mainline';
  if ((GROUPING_RULES as readonly string[]).includes(value)) return value as GroupingRule;
  throw new UsageError(`--grouping: expected one of ${GROUPING_RULES.join(', ')}, got ${JSON.stringify(value)}`);
}

function reportInput(file: string, opts: { lspci?: boolean }, grouping: GroupingRule): TopologyReportInput {
  const builtin = opts.lspci ? undefined : getBuiltinTopology(file);
  if (builtin) return { topology: builtin, source: 'builtin', grouping };
  if (opts.lspci) {
    const r = parseLspci(readInput(file), file);
    if (!r.ok) throw new UsageError(r.error.message);
    const v = r.value;
    return { topology: v.topology, source: 'lspci', grouping, recordedGroups: v.recordedGroups, unknownAcs: v.unknownAcs, idsFromNames: v.idsFromNames, warnings: v.warnings };
  }
  const text = readInput(file);
  const r = parseTopology(text, file);
  if (!r.ok) {
    const device = lspciDeviceLine(text);
    if (device === null) throw new UsageError(r.error.message);
    const shown = device.length > 50 ? `${device.slice(0, 47)}...` : device;
    throw new UsageError(`${file}: (root): expected a topology file (JSON or YAML), got what looks like lspci output (${JSON.stringify(shown)}): did you mean --lspci?`);
  }
  return { topology: r.topology, source: 'file', grouping };
}

/**
 * The pieces of JSON.stringify(value, null, 2), the top levels streamed member by member: a
 * large topology's report (its requester-ID crossings) can exceed the longest string V8 makes.
 */
function* jsonPieces(value: unknown, indent = '', depth = 0): Generator<string> {
  const nested = `${indent}  `;
  const whole = (v: unknown) => (JSON.stringify(v, null, 2) ?? 'null').replaceAll('\n', `\n${nested}`);
  if (depth < 2 && Array.isArray(value) && value.length > 0) {
    for (let i = 0; i < value.length; i++) yield `${i === 0 ? '[' : ','}\n${nested}${whole(value[i])}`;
    yield `\n${indent}]`;
  } else if (depth < 2 && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value).filter(([, v]) => JSON.stringify(v) !== undefined);
    for (const [i, [k, v]] of entries.entries()) {
      yield `${i === 0 ? '{' : ','}\n${nested}${JSON.stringify(k)}: `;
      yield* jsonPieces(v, nested, depth + 1);
    }
    yield entries.length === 0 ? '{}' : `\n${indent}}`;
  } else yield JSON.stringify(value, null, 2)?.replaceAll('\n', `\n${indent}`) ?? 'null';
}

/** Writes the report as JSON (plus a line end) in chunks of about 1 MB. */
function writeJson(value: unknown): void {
  let chunk = '';
  for (const piece of jsonPieces(value)) {
    chunk += piece;
    if (chunk.length > 1 << 20) {
      process.stdout.write(chunk);
      chunk = '';
    }
  }
  process.stdout.write(`${chunk}\n`);
}

/** Requester-ID crossings a JSON report lists unless --all-rid-crossings (ridCrossingCount counts all). */
const JSON_RID_CROSSINGS = 10_000;

/** The `topology` command. */
export const topologyCommand: CommandFactory = (setExit) =>
  new Command('topology')
    .description('Show a PCIe topology: tree, derived IOMMU groups, grouping soundness (I13) and who reaches whose BARs')
    .argument('<file>', `topology file (.json/.yaml), an lspci -vvv dump with --lspci, or a builtin: ${BUILTIN_TOPOLOGY_NAMES.join(', ')}`)
    .option('--lspci', 'read the text of lspci -vvv / -nnvvv and compare derived with recorded IOMMU groups')
    .option('--grouping <rule>', `grouping rule: ${GROUPING_RULES.join(' | ')} (default mainline)`)
    .option('--json', 'print the report as JSON (ridCrossings: the first 10,000 requester-ID crossings, ridCrossingCount all of them)')
    .option('--all-rid-crossings', 'with --json, list every requester-ID crossing (a machine without ACS SV can have a million)')
    .addHelpText(
      'after',
      `\nBuiltin topologies:\n${BUILTIN_TOPOLOGY_NAMES.map((n) => `  ${n}`).join('\n')}\n\nExit codes: 0 I13 holds and the derived groups equal the recorded ones (if the dump records any);\n1 I13 broken or the groups differ; 2 bad input, with one line: <file>: <path>: expected ..., got ...`,
    )
    .action((file: string, opts: { lspci?: boolean; json?: boolean; grouping?: string; allRidCrossings?: boolean }) => {
      const input = reportInput(file, opts, groupingRule(opts.grouping));
      // The text prints the first RID_CROSSINGS_SHOWN crossings and a count, the JSON the first
      // JSON_RID_CROSSINGS unless asked for all: build no more (1,024 functions without ACS SV have
      // about 1.2 million, 12 s and 420 MB of JSON).
      const limit = opts.json ? (opts.allRidCrossings ? undefined : JSON_RID_CROSSINGS) : RID_CROSSINGS_SHOWN;
      const report = buildTopologyReport(limit === undefined ? input : { ...input, ridCrossingLimit: limit });
      if (opts.json) writeJson(report);
      else process.stdout.write(`${renderTopologyText(report, pc.isColorSupported && process.stdout.isTTY === true)}\n`);
      setExit(report.verdict.ok ? EXIT.OK : EXIT.MISMATCH);
    });
