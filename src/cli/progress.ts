/** A progress line on stderr while checks run, shown only on a TTY (never in CI logs or pipes). */
import cliProgress from 'cli-progress';
import type { Progress } from '../engine/types.ts';

export interface ProgressHandle {
  job(label: string): void;
  states(p: Progress): void;
  stop(): void;
}

const NOOP: ProgressHandle = { job() {}, states() {}, stop() {} };

/** Starts a progress bar over `total` jobs when stderr is a terminal. */
export function startProgress(total: number, enabled: boolean): ProgressHandle {
  if (!enabled || !process.stderr.isTTY || process.env.CI) return NOOP;
  const bar = new cliProgress.SingleBar(
    { format: ' {bar} {value}/{total} checks | {label} {detail}', stream: process.stderr, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { label: '', detail: '' });
  let done = -1;
  return {
    job(label) {
      done++;
      bar.update(done, { label, detail: '' });
    },
    states(p) {
      const mem = Math.round(process.memoryUsage().heapUsed / 2 ** 20);
      bar.update(done, { detail: `| ${p.states.toLocaleString('en-US')} states, ${Math.round(p.states / Math.max(p.seconds, 1e-3)).toLocaleString('en-US')}/s, queue ${p.queue}, depth ${p.depth}, ${mem} MiB` });
    },
    stop() {
      bar.update(total);
      bar.stop();
    },
  };
}
