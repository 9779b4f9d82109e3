/**
 * Ctrl-C during a check. The engine explores synchronously, so a SIGINT handler could not run
 * until a run ended; instead each run is called through `vm` with `breakOnSigint`, which ends
 * the running JavaScript at once on SIGINT and throws. The CLI then stops the progress display,
 * prints where it was, writes nothing, and exits 130 (128 + SIGINT), as a shell expects.
 */
import { writeSync } from 'node:fs';
import vm from 'node:vm';

/** Thrown when SIGINT ended a run. */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
}

/** Runs `fn` so that SIGINT ends it with Interrupted (between runs, `onSigint` handles it). */
export function runInterruptibly<T>(fn: () => T): T {
  const context = vm.createContext({ fn });
  try {
    return new vm.Script('fn()').runInContext(context, { breakOnSigint: true }) as T;
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED') throw new Interrupted('interrupted');
    throw e;
  }
}

/** While `body` runs, a SIGINT outside runInterruptibly (between runs) also ends it with Interrupted. */
export async function withSigint<T>(body: (interrupted: () => boolean) => Promise<T>): Promise<T> {
  let hit = false;
  const onSigint = () => {
    hit = true;
  };
  process.on('SIGINT', onSigint);
  try {
    return await body(() => hit);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/**
 * Prints the interruption's line on stderr. Straight to the file descriptor: SIGINT may have ended
 * the run in the middle of a write to process.stderr (a heartbeat), leaving that stream with a
 * write that never completes, behind which anything written to it later would be lost.
 */
export function reportInterrupted(line: string): void {
  writeSync(2, `\niommu-mc: ${line}\n`);
}
