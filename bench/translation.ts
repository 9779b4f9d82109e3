/**
 * The translation series of `npm run bench` (issue 15, point 8): what putting the translation
 * path (pages, the default domain's page table and flush queue, IOTLB, ATC, DMA handles, and the
 * DMA, reuse and flush events) into the interleavings costs the engine, against the
 * ownership-only scaling series, measured in the same run:
 *
 *   - every built-in scenario with a DMA actor, and the same scenario without its DMA actors
 *     (`dma` and `ats` dropped: the ownership part alone), whose states it multiplies;
 *   - the scaled DMA model: the scaling model (bench/scaling.ts, N devices, 2 contexts) with its
 *     first 1-3 devices DMA actors and 1-2 IOVA pages, lazy or strict.
 *
 * The ratios compare each case with the ownership-only scaling run whose state count is the
 * nearest (N = 6 and 7 with two contexts, measured first): transitions/s and bytes/state depend on
 * the size (the first 64k-state chunk dominates small models), so a ratio means something only
 * between runs of about the same size. The built-in translation scenarios have 7-160 states:
 * their rates are mostly the fixed cost of a run, and their ratios say so. The whole series
 * stays under a minute on this 2-core machine (`npm run bench -- --series translation`).
 */
import type { Scenario } from '../src/machines/scenario.ts';
import { BUILTIN_SCENARIOS, findScenario } from '../src/scenarios/builtin.ts';
import { translationEnabled } from '../src/machines/scenario.ts';
import { exploreFast } from '../src/engine/packed/exploreFast.ts';
import { buildModel } from '../src/machines/model.ts';
import { currentVariant } from '../src/machines/variants/index.ts';
import { runCase, type CaseSpec, type Run } from './case.ts';
import { scalingScenario } from './scaling.ts';

/** The scaled DMA model: scaling model with N devices, 2 contexts, the first `actors` DMA actors. */
export interface DmaScale {
  devices: number;
  actors: number;
  pages: number;
  invalidation: 'strict' | 'lazy';
  /** Explore with symmetry reduction (the DMA actors one class, the others another): counts are of orbit representatives. */
  symmetry?: boolean;
}

/** What a case explores: the scaling model, a built-in (with or without its DMA actors), or the scaled DMA model. */
export type CaseModel = { kind: 'scaling' } | { kind: 'builtin'; name: string; withoutDma: boolean } | { kind: 'dma'; scale: DmaScale };

/** The scaled DMA cases: one DMA actor strict and lazy, and three actors with two IOVA pages (60,000-105,000 states each, near the ownership-only references). */
export const DMA_SCALES: readonly DmaScale[] = [
  { devices: 6, actors: 1, pages: 1, invalidation: 'strict' },
  { devices: 5, actors: 1, pages: 1, invalidation: 'lazy' },
  { devices: 3, actors: 3, pages: 2, invalidation: 'lazy' },
  { devices: 3, actors: 3, pages: 2, invalidation: 'lazy', symmetry: true },
];

/** States of each warm-up run in this series (the scaling series: 100,000). */
export const WARM_UP_SERIES = 50_000;

/** The ownership-only sizes the ratios compare with (2 contexts). */
export const OWNERSHIP_SIZES: readonly number[] = [6, 7];

/** The scaling model with its first `actors` devices DMA actors. */
export function dmaScalingScenario(d: DmaScale): Scenario {
  const base = scalingScenario(d.devices, 2);
  return {
    ...base,
    name: `dma-${d.devices}x2-${d.actors}actor${d.actors === 1 ? '' : 's'}-${d.pages}page${d.pages === 1 ? '' : 's'}-${d.invalidation}${d.symmetry ? '-symmetry' : ''}`,
    description: `${base.description}; the first ${d.actors} device(s) DMA actors, ${d.pages} IOVA page(s), iommu.strict=${d.invalidation === 'strict' ? 1 : 0}`,
    devices: base.devices.map((dev, i) => (i < d.actors ? { ...dev, dma: true } : dev)),
    invalidation: d.invalidation,
    iovaPages: d.pages,
    // Two classes: the DMA actors, and the others (the series runs without symmetry; the symmetry case declares them).
    symmetry: [base.devices.slice(0, d.actors).map((x) => x.name), base.devices.slice(d.actors).map((x) => x.name)].filter((c) => c.length >= 2),
  };
}

/** A built-in scenario without its DMA actors: the ownership part alone. */
function withoutDma(s: Scenario): Scenario {
  return { ...s, name: `${s.name} (no DMA)`, devices: s.devices.map(({ dma: _dma, ats: _ats, ...d }) => d) };
}

/** The scenario a case explores. */
export function caseScenario(spec: Pick<CaseSpec, 'devices' | 'contexts' | 'model'>): Scenario {
  const m = spec.model ?? { kind: 'scaling' };
  if (m.kind === 'dma') return dmaScalingScenario(m.scale);
  if (m.kind === 'builtin') {
    const s = findScenario(m.name);
    if (!s) throw new Error(`bench: no built-in scenario ${m.name}`);
    // A new object per run, as the scaling model: nothing keyed by it (enumerate.ts's block cache) carries over from the warm-up.
    return m.withoutDma ? withoutDma(s) : { ...s };
  }
  return scalingScenario(spec.devices, spec.contexts);
}

/** The built-in scenarios with a DMA actor, by name (new ones join the series by themselves). */
export const translationBuiltins = (): string[] => BUILTIN_SCENARIOS.filter(translationEnabled).map((s) => s.name);

export interface TranslationRow {
  name: string;
  run: Run;
  /** States of the same model without DMA actors (built-ins: their ownership part; scaled: the scaling model of N devices). */
  withoutDmaStates: number;
  /** The ownership-only scaling run nearest in states, and the ratios against it. */
  reference: { devices: number; run: Run } | null;
  transitionsPerSecondRatio: number | null;
  bytesPerStateRatio: number | null;
}

type Measure = (spec: CaseSpec) => Promise<Run | null>;

/** The ownership-only run whose state count is nearest (on a log scale) to `states`. */
function nearest(refs: readonly { devices: number; run: Run }[], states: number): { devices: number; run: Run } | null {
  let best: { devices: number; run: Run } | null = null;
  for (const r of refs) if (!best || Math.abs(Math.log(r.run.distinctStates / states)) < Math.abs(Math.log(best.run.distinctStates / states))) best = r;
  return best;
}

/** States of a model, explored once in this thread (not timed). */
const statesOf = (model: CaseModel, devices: number): number => exploreFast(buildModel(caseScenario({ devices, contexts: 2, model }), currentVariant)).distinctStates;

/**
 * Runs the series: the ownership-only references first, then each translation case. The scaled
 * cases run in a worker each (`measure`, as the scaling series); the built-ins, a few dozen
 * states each, run in this thread after the same warm-up (runCase): a worker's start would cost
 * a hundred times their run. The states without DMA are counted in this thread, untimed.
 */
export async function runTranslationSeries(measure: Measure, budget: number, progress: (line: string) => void): Promise<TranslationRow[]> {
  // Warm-up runs of 50,000 states, for the references too: a translation case expands a state several times slower than the
  // scaling model, and warm-ups of 100,000 states would be whole runs of it (the series stays under a minute).
  const spec = (model: CaseModel, devices = 0): CaseSpec => ({ runner: 'fast', devices, contexts: 2, maxSeconds: budget * 2, model, warmUpStates: WARM_UP_SERIES });
  const refs: { devices: number; run: Run }[] = [];
  for (const n of OWNERSHIP_SIZES) {
    const run = await measure(spec({ kind: 'scaling' }, n));
    if (run) refs.push({ devices: n, run });
    progress(`  ownership-only scaling-${n}x2: ${run ? `${run.distinctStates} states, ${run.seconds.toFixed(2)} s` : 'not run'}`);
  }
  const cases: { name: string; model: CaseModel; plain: CaseModel }[] = [
    ...translationBuiltins().map((name) => ({ name, model: { kind: 'builtin', name, withoutDma: false } as CaseModel, plain: { kind: 'builtin', name, withoutDma: true } as CaseModel })),
    ...DMA_SCALES.map((scale) => ({ name: dmaScalingScenario(scale).name, model: { kind: 'dma', scale } as CaseModel, plain: { kind: 'scaling' } as CaseModel })),
  ];
  const rows: TranslationRow[] = [];
  for (const c of cases) {
    const devices = c.model.kind === 'dma' ? c.model.scale.devices : 0;
    const symmetric = c.model.kind === 'dma' && c.model.scale.symmetry === true;
    const run = c.model.kind === 'builtin' ? await runCase(spec(c.model, devices)) : await measure({ ...spec(c.model, devices), ...(symmetric ? { runner: 'sym' as const } : {}) });
    if (!run) continue;
    const reference = nearest(refs, run.distinctStates);
    const ratio = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? a / b : null);
    rows.push({
      name: c.name,
      run,
      withoutDmaStates: statesOf(c.plain, devices),
      reference,
      transitionsPerSecondRatio: reference ? ratio(run.transitionsPerSecond, reference.run.transitionsPerSecond) : null,
      bytesPerStateRatio: reference ? ratio(run.bytesPerState, reference.run.bytesPerState) : null,
    });
    progress(`  ${c.name}: ${run.distinctStates} states, ${run.seconds.toFixed(2)} s${run.complete ? '' : ' (cut at the budget)'}`);
  }
  return rows;
}

const fmt = (x: number | null | undefined, digits = 0) => (x === null || x === undefined ? '-' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

/** The series as a table: each case, its model without DMA, the ownership-only reference and the ratios. */
export function formatTranslationSeries(rows: readonly TranslationRow[]): string {
  const head = ['case', 'states', 'transitions', 's', 'trans/s', 'B/st', 'no-DMA states', 'x states', 'ownership ref', 'ref states', 'ref trans/s', 'ref B/st', 'trans/s ratio', 'B/st ratio'];
  const body = rows.map((r) => [
    r.name,
    fmt(r.run.distinctStates),
    fmt(r.run.transitions),
    fmt(r.run.seconds, 2) + (r.run.complete ? '' : '!'),
    fmt(r.run.transitionsPerSecond),
    fmt(r.run.bytesPerState, 1),
    fmt(r.withoutDmaStates),
    fmt(r.run.distinctStates / r.withoutDmaStates, 1),
    r.reference ? `scaling-${r.reference.devices}x2` : '-',
    fmt(r.reference?.run.distinctStates),
    fmt(r.reference?.run.transitionsPerSecond),
    fmt(r.reference?.run.bytesPerState, 1),
    fmt(r.transitionsPerSecondRatio, 2),
    fmt(r.bytesPerStateRatio, 2),
  ]);
  const all = [head, ...body];
  const widths = head.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((x, c) => (c === 0 ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join('  ');
  return [
    'translation series (current kernel, exact, one thread): each case against the ownership-only scaling run nearest in states, same process',
    line(head),
    ...body.map(line),
    'x states: states of the case over the same model without DMA actors; ratios: the case over its ownership-only reference (above 1: more transitions/s, more bytes/state); ! = cut short by the time bound',
  ].join('\n');
}
