/**
 * A watchdog for the user's code in variant files: an override call that does not return, and a
 * file whose loading does not finish (an endless loop at the top level, a top-level await that
 * never settles). The engine checks its bounds only between states, so without this a looping
 * override ran forever, whatever --max-seconds said.
 *
 * One worker thread, started on first use and unref'd, watches a SharedArrayBuffer: the code
 * being watched stores a new activity number when an activity starts and 0 when it ends (two
 * stores per override call: about 50 ns). When the same activity has lasted longer than its limit,
 * the worker interrupts the main thread:
 *
 * - during a run (runWatched), by SIGINT: the run executes inside vm's `breakOnSigint`, which turns
 *   the signal into an exception at the vm call (a per-call vm `timeout` would start a thread per
 *   override call, about 200 us each). Of nested breakOnSigint calls the innermost gets the
 *   signal, so the user's own Ctrl-C is rethrown as it came, for src/cli/interrupt.ts to handle;
 * - while a file loads (loadWatched), by the inspector's Runtime.terminateExecution, which ends a
 *   synchronous loop in module code; the load's own deadline timer, which could not run during the
 *   loop, then rejects the load. A load that only waits (a top-level await that never settles) is
 *   ended by that timer alone, a second before the worker would act.
 */
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';

/** The longest an override call may take (or --max-seconds, when smaller). */
export const CALL_SECONDS = 10;
/** The longest a variant file may take to load (or --max-seconds, when smaller, but MIN_LOAD_SECONDS at least). */
export const LOAD_SECONDS = 10;
export const MIN_LOAD_SECONDS = 2;

/** The watchdog ended an activity that outlived its limit. */
export class WatchdogFired extends Error {
  override readonly name = 'WatchdogFired';
}

/** Slots of the shared array: the activity now watched (0: none), limit in ms, how to interrupt. */
const SEQ = 0;
const LIMIT_MS = 1;
const MODE = 2;
const FIRED = 3;
const BY_SIGNAL = 1;
const BY_TERMINATION = 2;

const WORKER = `
const { workerData } = require('node:worker_threads');
const a = new Int32Array(workerData);
let seen = 0, since = 0, session = null;
setInterval(() => {
  const seq = Atomics.load(a, ${SEQ}), now = Date.now();
  if (seq !== seen) { seen = seq; since = now; return; }
  if (seq === 0 || now - since < Atomics.load(a, ${LIMIT_MS})) return;
  if (Atomics.compareExchange(a, ${SEQ}, seq, 0) !== seq) return;
  seen = 0;
  Atomics.store(a, ${FIRED}, seq);
  if (Atomics.load(a, ${MODE}) === ${BY_SIGNAL}) return process.kill(process.pid, 'SIGINT');
  try {
    if (!session) { session = new (require('node:inspector').Session)(); session.connectToMainThread(); }
    session.post('Runtime.terminateExecution');
  } catch {}
}, 50);
`;

let shared: Int32Array | null = null;
let seq = 0;
/** True while a run is watched: only then do override calls count as activities. */
let armed = false;

function watch(limitMs: number, mode: number): Int32Array {
  if (!shared) {
    shared = new Int32Array(new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT));
    new Worker(WORKER, { eval: true, workerData: shared.buffer }).unref();
  }
  Atomics.store(shared, LIMIT_MS, limitMs);
  Atomics.store(shared, MODE, mode);
  Atomics.store(shared, FIRED, 0);
  return shared;
}

const nextSeq = (): number => (seq = (seq % 0x7ffffffe) + 1);

/** An override call starts (counted only inside runWatched; nested calls need not call it). */
export function callStarted(): void {
  if (armed) Atomics.store(shared!, SEQ, nextSeq());
}

/** The override call started last ends. */
export function callEnded(): void {
  if (armed) Atomics.store(shared!, SEQ, 0);
}

let vmRun: { context: vm.Context; script: vm.Script } | null = null;

/**
 * Runs `fn`, a synchronous run of the engine, so that an override call between callStarted and
 * callEnded lasting more than `seconds` ends it with WatchdogFired.
 */
export function runWatched<T>(fn: () => T, seconds: number): T {
  const a = watch(Math.max(100, Math.round(seconds * 1000)), BY_SIGNAL);
  vmRun ??= { context: vm.createContext({ run: null }), script: new vm.Script('run()') };
  const { context, script } = vmRun;
  context.run = fn;
  armed = true;
  try {
    return script.runInContext(context, { breakOnSigint: true }) as T;
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_SCRIPT_EXECUTION_INTERRUPTED') throw e;
    if (Atomics.load(a, FIRED) !== 0) throw new WatchdogFired(`an override call did not return within ${seconds} s`);
    // The user's Ctrl-C: the same error as an unwatched run gets (check's own breakOnSigint layer
    // around each run, src/cli/interrupt.ts, turns it into its interrupted summary and exit 130).
    throw e;
  } finally {
    armed = false;
    Atomics.store(a, SEQ, 0);
    context.run = null;
  }
}

/**
 * Awaits `load()`, rejecting with WatchdogFired when it has not settled after `seconds`, even
 * when the loaded code loops without ever giving the event loop a turn.
 */
export async function loadWatched<T>(load: () => Promise<T>, seconds: number): Promise<T> {
  const a = watch(Math.round(seconds * 1000) + 1000, BY_TERMINATION);
  Atomics.store(a, SEQ, nextSeq());
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WatchdogFired(`loading did not finish within ${seconds} s`)), seconds * 1000);
  });
  try {
    return await Promise.race([load(), deadline]);
  } finally {
    Atomics.store(a, SEQ, 0);
    clearTimeout(timer);
  }
}
