/**
 * Progress while checks run, on stderr: a bar on a terminal; on anything else (a CI log, a pipe)
 * a heartbeat line every HEARTBEAT_SECONDS once a run takes that long, so that a long job is
 * never silent. Memory is the process's resident set size, the figure --max-memory bounds.
 */
import cliProgress from 'cli-progress';
import type { Progress } from '../engine/types.ts';

/** Seconds between two heartbeat lines when stderr is not a terminal. */
export const HEARTBEAT_SECONDS = 15;

export interface ProgressHandle {
  job(label: string): void;
  states(p: Progress): void;
  stop(): void;
  /** Where the run is: the check running, the checks finished before it, its last figures (for an interruption's summary). */
  where(): { label: string; finished: number; last: Progress | null };
}

export interface ProgressOptions {
  /** The --max-states bound, to show how much of it a run has used. */
  maxStates?: number;
  /** Write to this instead of stderr (tests). */
  write?: (s: string) => void;
  /** Whether stderr is a terminal (default: process.stderr.isTTY, and not under CI). */
  tty?: boolean;
  /** Seconds between heartbeat lines when stderr is not a terminal (default HEARTBEAT_SECONDS). */
  heartbeat?: number;
}

const int = (n: number) => n.toLocaleString('en-US');
const mib = () => `${Math.round(process.memoryUsage.rss() / 2 ** 20).toLocaleString('en-US')} MiB`;

/** `1,234 states (12% of --max-states), 5,000/s, queue 10, depth 7, 300 MiB`. */
export function progressDetail(p: Progress, maxStates?: number): string {
  const share = maxStates ? ` (${Math.min(100, Math.floor((100 * p.states) / maxStates))}% of --max-states)` : '';
  return `${int(p.states)} states${share}, ${int(Math.round(p.states / Math.max(p.seconds, 1e-3)))}/s, queue ${int(p.queue)}, depth ${p.depth}, ${mib()} resident`;
}

/** Starts progress over `total` jobs; `enabled` is false for JSON output. */
export function startProgress(total: number, enabled: boolean, o: ProgressOptions = {}): ProgressHandle {
  const tty = o.tty ?? (!!process.stderr.isTTY && !process.env.CI);
  let label = '';
  let finished = -1;
  let last: Progress | null = null;
  const where = () => ({ label, finished: Math.max(0, finished), last });
  const onJob = (l: string) => {
    finished++;
    label = l;
    last = null;
  };
  if (!enabled) return { job: onJob, states: (p) => void (last = p), stop() {}, where };
  if (!tty) {
    const write = o.write ?? ((s: string) => process.stderr.write(s));
    const every = o.heartbeat ?? HEARTBEAT_SECONDS;
    let next = every;
    return {
      job(l) {
        onJob(l);
        next = every;
      },
      states(p) {
        last = p;
        if (p.seconds < next) return;
        next = p.seconds + every;
        write(`iommu-mc: [${finished + 1}/${total}] ${label}: ${progressDetail(p, o.maxStates)}, ${Math.round(p.seconds)} s\n`);
      },
      stop() {},
      where,
    };
  }
  // No hidden cursor and no line-wrap change: a run killed outright leaves the terminal as it was.
  const bar = new cliProgress.SingleBar(
    {
      // One line that fits the terminal (line wrap stays on; a wrapped line would repeat itself).
      format: (opts, params, payload: { label: string; detail: string }) => {
        const size = opts.barsize ?? 20;
        const filled = Math.round(params.progress * size);
        const line = ` ${'█'.repeat(filled)}${'░'.repeat(size - filled)} ${params.value}/${params.total} checks | ${payload.label} ${payload.detail}`;
        const cols = (process.stderr.columns || 100) - 1;
        return line.length > cols ? `${line.slice(0, cols - 1)}…` : line;
      },
      barsize: 20,
      stream: process.stderr,
      hideCursor: false,
      linewrap: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { label: '', detail: '' });
  return {
    job(l) {
      onJob(l);
      bar.update(finished, { label: l, detail: '' });
    },
    states(p) {
      last = p;
      bar.update(finished, { detail: `| ${progressDetail(p, o.maxStates)}` });
    },
    stop() {
      bar.stop();
    },
    where,
  };
}
