/**
 * The symmetry case at scale: the scaling model with N devices (32 by default) and two
 * contexts, explored with symmetry reduction to the end, next to the same runner at N/2 in the
 * same process as its baseline (the ratios say how time grows with the representatives).
 * Issue 19's target: N=32 exhaustive in under 10 s.
 */
import type { CaseSpec, Run } from './case.ts';

/** States of each warm-up run: enough for the JIT to settle, without a second full run. */
const WARM_UP = 20_000;

export interface ScaleCase {
  devices: number;
  contexts: 2;
  run: Run;
  baseline: Run;
  baselineDevices: number;
  /** run.seconds / baseline.seconds, and the same for the representatives. */
  timeRatio: number;
  statesRatio: number;
  targetSeconds: number;
}

/** Measures the case with `measure` (one worker per run); null when a run gave nothing. */
export async function runScaleCase(measure: (spec: CaseSpec) => Promise<Run | null>, devices: number, budget: number): Promise<ScaleCase | null> {
  const baselineDevices = Math.max(2, Math.floor(devices / 2));
  const baseline = await measure({ runner: 'sym', devices: baselineDevices, contexts: 2, maxSeconds: budget * 2, warmUpStates: WARM_UP });
  const run = await measure({ runner: 'sym', devices, contexts: 2, maxSeconds: budget * 2, warmUpStates: WARM_UP });
  if (!run || !baseline) return null;
  return { devices, contexts: 2, run, baseline, baselineDevices, timeRatio: run.seconds / baseline.seconds, statesRatio: run.distinctStates / baseline.distinctStates, targetSeconds: 10 };
}

/** The case as lines of the bench's report. */
export function formatScaleCase(c: ScaleCase): string {
  const n = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const verdict = !c.run.complete ? `cut short at ${n(c.run.seconds, 1)} s: NOT exhaustive` : c.run.seconds < c.targetSeconds ? `under the ${c.targetSeconds} s target` : `OVER the ${c.targetSeconds} s target`;
  return [
    `symmetry at scale: scaling model, N=${c.devices}, 2 contexts, fast+sym: ${n(c.run.distinctStates)} representatives, ${n(c.run.transitions)} transitions, ${n(c.run.seconds, 2)} s (${verdict}), ${n(c.run.statesPerSecond)} states/s`,
    `  baseline in this process, N=${c.baselineDevices}: ${n(c.baseline.distinctStates)} representatives in ${n(c.baseline.seconds, 2)} s; N=${c.devices} takes x${n(c.timeRatio, 1)} the time for x${n(c.statesRatio, 1)} the representatives`,
  ].join('\n');
}
