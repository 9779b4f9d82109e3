/**
 * `iommu-mc topology FILE|BUILTIN [--grouping RULE] [--json]` and
 * `iommu-mc topology --lspci FILE [--grouping RULE] [--json]`: prints the tree, the derived
 * IOMMU groups (compared with recorded ones for lspci dumps), I13 grouping soundness and the
 * reachability matrix. Exit 0: I13 holds and the groups equal the recorded ones (if any);
 * 1: I13 broken or the groups differ; 2: bad usage or bad input.
 */
import { readFileSync, statSync } from 'node:fs';
import { Command } from 'commander';
import pc from 'picocolors';
import type { CommandFactory } from './index.ts';
import { EXIT, UsageError } from '../errors.ts';
import type { GroupingRule } from '../../hardware/index.ts';
import { BUILTIN_TOPOLOGY_NAMES, GROUPING_RULES, getBuiltinTopology, parseLspci, parseTopology } from '../../hardware/index.ts';
import type { TopologyReportInput } from '../../report/topology.ts';
import { buildTopologyReport, renderTopologyText } from '../../report/topology.ts';

function readInput(file: string): string {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new UsageError(`${file}: (root): expected a readable file or a builtin topology name (${BUILTIN_TOPOLOGY_NAMES.join(', ')}), got no such file`);
  }
  if (st.isDirectory()) throw new UsageError(`${file}: (root): expected a file, got a directory`);
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: (root): expected a readable file, got ${(e as NodeJS.ErrnoException).code ?? 'a read error'}`);
  }
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
  const r = parseTopology(readInput(file), file);
  if (!r.ok) throw new UsageError(r.error.message);
  return { topology: r.topology, source: 'file', grouping };
}

/** The `topology` command. */
export const topologyCommand: CommandFactory = (setExit) =>
  new Command('topology')
    .description('Show a PCIe topology: tree, derived IOMMU groups, grouping soundness (I13) and who reaches whose BARs')
    .argument('<file>', `topology file (.json/.yaml), an lspci -vvv dump with --lspci, or a builtin: ${BUILTIN_TOPOLOGY_NAMES.join(', ')}`)
    .option('--lspci', 'read the text of lspci -vvv / -nnvvv and compare derived with recorded IOMMU groups')
    .option('--grouping <rule>', `grouping rule: ${GROUPING_RULES.join(' | ')} (default mainline)`)
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `\nBuiltin topologies:\n${BUILTIN_TOPOLOGY_NAMES.map((n) => `  ${n}`).join('\n')}\n\nExit codes: 0 I13 holds and the derived groups equal the recorded ones (if the dump records any);\n1 I13 broken or the groups differ; 2 bad input, with one line: <file>: <path>: expected ..., got ...`,
    )
    .action((file: string, opts: { lspci?: boolean; json?: boolean; grouping?: string }) => {
      const report = buildTopologyReport(reportInput(file, opts, groupingRule(opts.grouping)));
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(`${renderTopologyText(report, pc.isColorSupported && process.stdout.isTTY === true)}\n`);
      setExit(report.verdict.ok ? EXIT.OK : EXIT.MISMATCH);
    });
