/**
 * Runs the CLI as a user runs it: exit code, stdout and stderr, no colours.
 *
 * `run` calls the CLI's main() in this process with stdout and stderr captured: the same code
 * path from argument parsing to exit code, without the ~1 s a fresh node + tsx start costs (on a
 * 2-core machine with a core busy, the spawning tests took 10 s and timed out). `cli` spawns
 * bin/iommu-mc.mjs, for what only a real process shows: the bin itself, signals, pipes.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';

export const BIN = join(import.meta.dirname, '../../bin/iommu-mc.mjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Spawns the CLI. */
export function cli(args: string[]): CliResult {
  try {
    const stdout = execFileSync(process.execPath, [BIN, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr: '' };
  } catch (e) {
    const x = e as { status: number; stdout: string; stderr: string };
    return { code: x.status, stdout: x.stdout, stderr: x.stderr };
  }
}

let running = false;

/** Runs the CLI's main() in this process, stdout and stderr captured. Calls must not overlap. */
export async function run(args: string[]): Promise<CliResult> {
  if (running) throw new Error('run(): calls overlap (await each one)');
  running = true;
  const out: string[] = [];
  const err: string[] = [];
  const { write: writeOut } = process.stdout;
  const { write: writeErr } = process.stderr;
  const capture = (into: string[]) => ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const cb = rest.find((x) => typeof x === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    running = false;
  }
}
