/**
 * `npm run bench`: the scaling series of the ownership model (bench/scaling.ts), N = 2..12
 * devices, 1 to 3 contexts, in one process, with
 *   - fast:      exploreFast without symmetry reduction (packed states, exact comparison),
 *   - fp:        the same with 64-bit fingerprints (--fingerprints),
 *   - par:       exact, on two threads (--workers 2), where the run reaches PARALLEL_FROM states,
 *   - fast+sym:  exploreFast with symmetry reduction over the interchangeable devices,
 *   - reference: explore() (full snapshots keyed by canonicalKey),
 *   - graph:     xstate/graph getAdjacencyMap over createSystemMachine (src/machines/system.ts),
 * each on every size up to the largest it finishes within the time budget (a size is skipped
 * when the previous one, scaled by the last growth factor, predicts more than the budget).
 * Where the graph ran, its states and transitions are compared with the engine's (column "=").
 * Not a test: nothing here asserts a time.
 *
 * Then the translation series (bench/translation.ts): the translation path's cases against the
 * ownership-only series, as ratios measured in the same run.
 *
 *   npm run bench [-- --json] [--budget SECONDS] [--max-n N] [--contexts 1,2,3] [--runners LIST] [--no-graph] [--series scaling,translation]
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import { PARALLEL_FROM } from '../src/engine/packed/exploreFast.ts';
import type { CaseSpec, Contexts, Run, Runner } from './case.ts';
import { scalingScenario } from './scaling.ts';

interface Args {
  json: boolean;
  budget: number;
  maxN: number;
  /** The symmetry case at scale (bench/scale.ts): N devices, 0 to skip. */
  scaleN: number;
  contexts: Contexts[];
  graph: boolean;
  runners: Set<Runner>;
  series: Set<Series>;
}

/** scaling: the ownership-only series and the whole-machine case; translation: bench/translation.ts. */
type Series = 'scaling' | 'translation';
const SERIES: readonly Series[] = ['scaling', 'translation'];

const RUNNERS: readonly Runner[] = ['fast', 'fp', 'par', 'sym', 'ref', 'graph'];

/** The command line, through commander (--help; a bad value exits 2 with one line). */
function parseArgs(argv: string[]): Args {
  const positive = (name: string, min: number) => (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new InvalidArgumentError(`${name} must be a number >= ${min}, got "${v}"`);
    return n;
  };
  const contexts = (v: string) => {
    const cs = v.split(',').map((c) => c.trim());
    if (cs.length === 0 || cs.some((c) => !['1', '2', '3'].includes(c))) throw new InvalidArgumentError(`--contexts takes a comma-separated list of 1, 2 and 3, got "${v}"`);
    return cs.map((c) => Number(c) as Contexts);
  };
  const runners = (v: string) => {
    const rs = v.split(',').map((r) => r.trim());
    const bad = rs.find((r) => !RUNNERS.includes(r as Runner));
    if (bad !== undefined) throw new InvalidArgumentError(`--runners takes a comma-separated list of ${RUNNERS.join(', ')}; "${bad}" is not one`);
    if (rs.includes('par') && !rs.includes('fast')) throw new InvalidArgumentError('--runners: par needs fast (it runs where the exact run reached 2^18 states)');
    return new Set(rs as Runner[]);
  };
  const series = (v: string) => {
    const ss = v.split(',').map((x) => x.trim());
    const bad = ss.find((x) => !SERIES.includes(x as Series));
    if (bad !== undefined) throw new InvalidArgumentError(`--series takes a comma-separated list of ${SERIES.join(', ')}; "${bad}" is not one`);
    return new Set(ss as Series[]);
  };
  const cmd = new Command('npm run bench --')
    .description('Scaling benchmark of the packed engine against explore() and xstate/graph, in one process (not a test).')
    .option('--json', 'print one JSON object instead of the table', false)
    .option('--budget <seconds>', 'time budget per run; a size predicted to exceed it is skipped', positive('--budget', 1), 60)
    .option('--max-n <devices>', 'largest number of devices', positive('--max-n', 2), 12)
    .addOption(new Option('--contexts <list>', 'user contexts per model, a list of 1, 2 and 3 (3 adds a second iommufd context)').argParser(contexts).default([1, 2, 3] as Contexts[], '1,2,3'))
    .addOption(new Option('--runners <list>', `columns to measure, a list of ${RUNNERS.join(', ')}`).argParser(runners).default(new Set(RUNNERS), 'all'))
    .option('--scale-n <devices>', 'the symmetry case at scale: N devices, two contexts (0: skip)', (v: string) => (v === '0' ? 0 : positive('--scale-n', 4)(v)), 32)
    .option('--no-graph', 'skip the xstate/graph runs (the same as leaving graph out of --runners)')
    .addOption(new Option('--series <list>', `series to run, a list of ${SERIES.join(', ')} (translation: the translation path against the ownership-only series, bench/translation.ts)`).argParser(series).default(new Set(SERIES), 'all'))
    .exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : 2))
    .parse(argv, { from: 'user' });
  const o = cmd.opts<{ json: boolean; budget: number; maxN: number; scaleN: number; contexts: Contexts[]; graph: boolean; runners: Set<Runner>; series: Set<Series> }>();
  return { json: o.json, budget: o.budget, maxN: o.maxN, scaleN: o.scaleN, contexts: o.contexts, graph: o.graph && o.runners.has('graph'), runners: o.runners, series: o.series };
}

/** Heap limit of each case's worker: the bench process's own. */
const heapLimitMb = Math.ceil(v8.getHeapStatistics().heap_size_limit / 2 ** 20);

/**
 * Runs one case in a worker thread of its own (bench/case.ts says why); null when the graph
 * column is asked for and src/machines/system.ts is not there.
 */
function measure(spec: CaseSpec): Promise<Run | null> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./caseWorker.mjs', import.meta.url), { workerData: spec, resourceLimits: { maxOldGenerationSizeMb: heapLimitMb } });
    let result: Run | null = null;
    w.once('message', (r: Run | null) => (result = r));
    w.once('error', reject);
    w.once('exit', (code) => (code === 0 ? resolve(result) : reject(new Error(`bench: the ${spec.runner} run of N=${spec.devices}, ${spec.contexts} context(s) exited with code ${code}`))));
  });
}

/** Runs `f` on sizes while the prediction stays within the budget. */
class Column {
  private last: number[] = [];
  constructor(
    readonly name: string,
    private readonly budget: number,
  ) {}
  shouldRun(): boolean {
    const [a, b] = this.last.slice(-2);
    if (b === undefined) return a === undefined || a <= this.budget;
    if (b > this.budget) return false;
    const growth = Math.max(2, b / Math.max(a!, 1e-3));
    return b * growth <= this.budget;
  }
  record(r: Run | null): void {
    if (r) this.last.push(r.complete ? r.seconds : Number.POSITIVE_INFINITY);
  }
}

const fmt = (x: number | null | undefined, digits = 0) => (x === null || x === undefined ? '-' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

import { formatMachineCase, runMachineCase } from './machine.ts';
import { formatTranslationSeries, runTranslationSeries } from './translation.ts';
import { formatScaleCase, runScaleCase } from './scale.ts';

async function main() {
  const args = parseArgs(process.argv.slice(2));
  let graphAvailable = args.graph;
  const log = (s: string) => {
    if (!args.json) console.log(s);
  };
  log(`iommu-mc bench: ${[...args.series].join(' and ')} series; scaling model (devices with e1000e | vfio-pci | pci-stub, p2p all pairs, no hot-plug), current kernel`);
  log(`budget per run: ${args.budget} s (a size is skipped when the last run x its growth factor exceeds it); N = 2..${args.maxN}`);
  log(`node ${process.version}, ${process.platform}/${process.arch}`);
  log('each run in a worker thread of its own (a fresh V8 isolate), in this one process');
  const cases: unknown[] = [];
  const rows: string[][] = [];
  for (const contexts of args.series.has('scaling') ? args.contexts : []) {
    const cols = { fast: new Column('fast', args.budget), fp: new Column('fp', args.budget), par: new Column('par', args.budget), sym: new Column('sym', args.budget), ref: new Column('ref', args.budget), graph: new Column('graph', args.budget) };
    for (let n = 2; n <= args.maxN; n++) {
      const scenario = scalingScenario(n, contexts);
      const run = async (runner: CaseSpec['runner'], col: Column): Promise<Run | null> => {
        if (!args.runners.has(runner) || !col.shouldRun()) return null;
        const r = await measure({ runner, devices: n, contexts, maxSeconds: args.budget * 2 });
        col.record(r);
        return r;
      };
      const fast = await run('fast', cols.fast);
      const fp = await run('fp', cols.fp);
      // Below PARALLEL_FROM states --workers starts no thread: the same run as `fast`.
      const par = fast && fast.distinctStates >= PARALLEL_FROM ? await run('par', cols.par) : null;
      const sym = await run('sym', cols.sym);
      const ref = await run('ref', cols.ref);
      const graph = graphAvailable ? await run('graph', cols.graph) : null;
      if (graphAvailable && graph === null && cols.graph.shouldRun()) {
        graphAvailable = false;
        log('graph column skipped: src/machines/system.ts (createSystemMachine) is not there');
      }
      if (!fast && !fp && !sym && !ref && !graph) break;
      // The graph found the engine's states and transitions, and tried the same calls.
      const countsMatch = fast && graph && fast.complete ? fast.distinctStates === graph.distinctStates && fast.transitions === graph.transitions && fast.enabledCalls === graph.enabledCalls : null;
      // Two threads found the one thread's states and transitions.
      const workersMatch = fast && par && fast.complete && par.complete ? fast.distinctStates === par.distinctStates && fast.transitions === par.transitions : null;
      const speedRef = fast && ref && fast.complete && ref.complete ? ref.seconds / fast.seconds : null;
      const speedGraph = fast && graph && fast.complete ? graph.seconds / fast.seconds : null;
      const reduction = fast && sym && fast.complete && sym.complete ? fast.distinctStates / sym.distinctStates : null;
      const engineCase = (r: Run | null) =>
        r && {
          distinctStates: r.distinctStates,
          transitions: r.transitions,
          seconds: r.seconds,
          statesPerSecond: r.statesPerSecond,
          transitionsPerSecond: r.transitionsPerSecond,
          bytesPerState: r.bytesPerState,
          enabledCalls: r.enabledCalls,
          complete: r.complete,
        };
      const base = { name: scenario.name, devices: n, contexts };
      cases.push({
        ...base,
        symmetry: false,
        engine: engineCase(fast),
        engineWithFingerprints: engineCase(fp),
        engineWithWorkers: engineCase(par),
        workersMatch,
        reference: engineCase(ref),
        graph: graph && { distinctStates: graph.distinctStates, transitions: graph.transitions, enabledCalls: graph.enabledCalls, seconds: graph.seconds },
        countsMatch,
        speedup: speedGraph,
        speedupOverReference: speedRef,
      });
      cases.push({ ...base, symmetry: true, engine: engineCase(sym), graph: null, speedup: null, symmetryReduction: reduction });
      const cell = (r: Run | null) => (r ? [fmt(r.distinctStates), fmt(r.transitions), fmt(r.seconds, 2) + (r.complete ? '' : '!'), fmt(r.statesPerSecond), fmt(r.transitionsPerSecond), fmt(r.bytesPerState, 1)] : ['-', '-', '-', '-', '-', '-']);
      rows.push([
        String(n),
        String(contexts),
        ...cell(fast),
        ...(fp ? [fmt(fp.seconds, 2) + (fp.complete ? '' : '!'), fmt(fp.transitionsPerSecond), fmt(fp.bytesPerState, 1)] : ['-', '-', '-']),
        ...(par ? [fmt(par.seconds, 2) + (par.complete ? '' : '!') + (workersMatch === false ? ' DIFF' : ''), fmt(par.transitionsPerSecond), fmt(par.bytesPerState, 1)] : ['-', '-', '-']),
        ...(sym ? [fmt(sym.distinctStates), fmt(sym.seconds, 2) + (sym.complete ? '' : '!'), fmt(reduction, 1)] : ['-', '-', '-']),
        ...(ref ? [fmt(ref.distinctStates), fmt(ref.seconds, 2) + (ref.complete ? '' : '!')] : ['-', '-']),
        ...(graph ? [fmt(graph.distinctStates), fmt(graph.seconds, 2), countsMatch === null ? '-' : countsMatch ? 'yes' : 'NO'] : ['-', '-', '-']),
        fmt(speedRef, 1),
        fmt(speedGraph, 1),
      ]);
      if (!args.json) printTable(rows, true);
    }
  }
  const machine = args.series.has('scaling') ? runMachineCase(args.budget) : null;
  const scale = args.series.has('scaling') && args.scaleN > 0 ? await runScaleCase(measure, args.scaleN, args.budget) : null;
  const translation = args.series.has('translation') ? await runTranslationSeries(measure, args.budget, (l) => !args.json && process.stderr.write(`${l}\n`)) : null;
  if (args.json) console.log(JSON.stringify({ budgetSeconds: args.budget, graphAvailable, cases, machine, scale, translation }, null, 2));
  else {
    if (translation) log(formatTranslationSeries(translation));
    if (!machine) return;
    log(formatMachineCase(machine));
    if (scale) log(formatScaleCase(scale));
    printTable(rows, false);
    log('fast = exploreFast without symmetry (exact); fp = the same with 64-bit fingerprints; 2 thr = exact on two threads (--workers 2; from 2^18 states); sym = with symmetry reduction (orbit representatives); ref = explore(); graph = xstate/graph getAdjacencyMap');
    log('B/st: the engine\'s typed arrays as allocated (packed codes, hash table, parent ids; the first 64k-state chunk dominates small N)');
    log('= : the graph found the engine\'s states and transitions (calls on which XState took a transition) and tried as many calls (failed ones included); ! = cut short by the time bound');
  }
}

const HEAD = ['N', 'ctx', 'fast states', 'transitions', 's', 'states/s', 'trans/s', 'B/st', 'fp s', 'trans/s', 'B/st', '2 thr s', 'trans/s', 'B/st', 'sym states', 's', 'reduct.', 'ref states', 's', 'graph states', 's', '=', 'x ref', 'x graph'];
let printed = 0;
function printTable(rows: string[][], incremental: boolean) {
  const all = [HEAD, ...rows];
  const widths = HEAD.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((x, c) => x.padStart(widths[c]!)).join('  ');
  if (incremental) {
    // Progress on stderr while running; the final table goes to stdout.
    if (printed === 0) process.stderr.write(`${line(HEAD)}\n`);
    process.stderr.write(`${line(rows[rows.length - 1]!)}\n`);
    printed++;
    return;
  }
  console.log(line(HEAD));
  for (const r of rows) console.log(line(r));
}

await main();
