/** `iommu-mc merge REPORT.json...`: the `check --shard K/N --json` reports of one run merged into one report and one exit code. */
import { Command } from 'commander';
import { asShardReport, mergeReports, formatMergedReport, MergeRefusal, type ShardSpec } from '../../report/merge.ts';
import { junitXml } from '../../report/junit.ts';
import { UsageError } from '../errors.ts';
import { toolVersion } from '../version.ts';
import { checkOutputFile, readTextFile, writeFileAtomically } from '../files.ts';
import type { CommandFactory } from './commandFactory.ts';

/** The largest report read: a whole suite's --json with its traces and coverage is a few MiB. */
const MAX_REPORT_BYTES = 256 * 2 ** 20;

interface MergeOpts {
  json?: boolean;
  junit?: string;
}

/** Reads, checks and merges the reports; writes the JUnit file and prints the report; the exit code. */
function runMerge(files: string[], o: MergeOpts): number {
  if (o.junit) checkOutputFile(o.junit);
  try {
    const inputs = files.map((file) => {
      const text = readTextFile(file, MAX_REPORT_BYTES);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        throw new MergeRefusal(file, `expected the JSON of iommu-mc check --json (${(e as Error).message.split('\n')[0]})`);
      }
      return { file, report: asShardReport(file, parsed) };
    });
    const merged = mergeReports(inputs, toolVersion());
    if (o.junit) writeFileAtomically(o.junit, junitXml(merged.results, 'iommu-mc check'));
    process.stdout.write(o.json ? `${JSON.stringify(merged, null, 2)}\n` : `${formatMergedReport(merged, files.length)}\n${o.junit ? `JUnit XML written to ${o.junit}\n` : ''}`);
    return merged.exitCode;
  } catch (e) {
    if (e instanceof MergeRefusal) throw new UsageError(e.message);
    throw e;
  }
}

export const mergeCommand: CommandFactory = (setExit) =>
  new Command('merge')
    .description('Merge the --json reports of `check --shard K/N` (every shard of one run, any order) into one report and one exit code')
    .argument('<reports...>', 'the shard reports (JSON files written by check --shard K/N --json)')
    .option('--json', 'print the merged report as JSON (the shape of check --json, rows in the unsharded job order)')
    .option('--junit <file>', 'also write the merged results as JUnit XML (one test case per scenario x variant)')
    .addHelpText('after', '\nRefuses (exit 2) reports of another iommu-mc version, model (kernel pin, jobs, manifest, options) or shard count, a shard given twice, or a missing shard.\nExit codes: as check: 0 every result matches its expectation; 1 a mismatch; 2 bad usage or input; 3 incomplete; 4 internal error. See docs/ci.md.')
    .action((files: string[], o: MergeOpts) => setExit(runMerge(files, o)));
