/**
 * `iommu-mc topology FILE|BUILTIN [--json]` and `iommu-mc topology --lspci FILE [--json]`:
 * prints the tree, the derived IOMMU groups (compared with recorded ones for lspci
 * dumps), I13 grouping soundness and the reachability matrix.
 */
import { readFileSync, statSync } from 'node:fs';
import { Command } from 'commander';
import pc from 'picocolors';
import type { CommandFactory } from './index.ts';
import { EXIT, UsageError } from '../errors.ts';
import { BUILTIN_TOPOLOGY_NAMES, getBuiltinTopology, parseLspci, parseTopology } from '../../hardware/index.ts';
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

/** The `topology` command. */
export const topologyCommand: CommandFactory = (setExit) =>
  new Command('topology')
    .description('Show a PCIe topology: tree, derived IOMMU groups, grouping soundness (I13) and who reaches whose BARs')
    .argument('<file>', `topology file (.json/.yaml), an lspci -vvv dump with --lspci, or a builtin: ${BUILTIN_TOPOLOGY_NAMES.join(', ')}`)
    .option('--lspci', 'read the text of lspci -vvv / -nnvvv and compare derived with recorded IOMMU groups')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `\nBuiltin topologies:\n${BUILTIN_TOPOLOGY_NAMES.map((n) => `  ${n}`).join('\n')}\n\nErrors in the input exit with code 2 and one line: <file>: <path>: expected ..., got ...`,
    )
    .action((file: string, opts: { lspci?: boolean; json?: boolean }) => {
      let input: TopologyReportInput;
      const builtin = opts.lspci ? undefined : getBuiltinTopology(file);
      if (builtin) input = { topology: builtin, source: 'builtin' };
      else if (opts.lspci) {
        const r = parseLspci(readInput(file), file);
        if (!r.ok) throw new UsageError(r.error.message);
        input = { topology: r.value.topology, source: 'lspci', recordedGroups: r.value.recordedGroups, unknownAcs: r.value.unknownAcs, warnings: r.value.warnings };
      } else {
        const r = parseTopology(readInput(file), file);
        if (!r.ok) throw new UsageError(r.error.message);
        input = { topology: r.topology, source: 'file' };
      }
      const report = buildTopologyReport(input);
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(`${renderTopologyText(report, pc.isColorSupported && process.stdout.isTTY === true)}\n`);
      setExit(EXIT.OK);
    });
