/** Parsers for CLI option values: each throws a UsageError naming the option and what it expects. */
import { UsageError } from './errors.ts';
import type { ShardSpec } from '../report/merge.ts';

/** A positive integer option. */
export const positiveInt = (flag: string) => (v: string): number => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${flag}: expected a positive whole number, got "${v}"`);
  return n;
};

/** A whole number option in min..max. */
export const intInRange = (flag: string, min: number, max: number) => (v: string): number => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new UsageError(`${flag}: expected a whole number from ${min} to ${max}, got "${v}"`);
  return n;
};

/** A positive number option (seconds, MiB): plain decimal digits with an optional fraction, like 5 or 0.5 (no 0x10, 1e3 or spaces). */
export const positiveNumber = (flag: string) => (v: string): number => {
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !Number.isFinite(n) || n <= 0) throw new UsageError(`${flag}: expected a positive number, got "${v}"`);
  return n;
};

/** Collects a repeatable, comma-separated option, in order, each value once. */
export const collect = (v: string, prev: string[] = []): string[] => [...new Set([...prev, ...v.split(',').filter(Boolean)])];

/**
 * A repeatable option of names (`what`, e.g. "a scenario name"): comma-separated unless `split`
 * is false (file names), collected in order, each once. An empty value is bad usage: an unset CI
 * variable must not turn `--scenario "$S"` into a run of everything.
 */
export const names = (flag: string, what: string, split = true) => (v: string, prev: string[] = []): string[] => {
  const items = split ? v.split(',').filter(Boolean) : [v].filter(Boolean);
  if (items.length === 0) throw new UsageError(`${flag}: expected ${what}, got ${v === '' ? 'an empty string' : JSON.stringify(v)}`);
  return [...new Set([...prev, ...items])];
};

/** Checks a name against the allowed choices. */
export function oneOf(flag: string, value: string, choices: readonly string[]): string {
  if (!choices.includes(value)) throw new UsageError(`${flag}: unknown "${value}"; choose one of: ${choices.join(', ')}`);
  return value;
}

/** Parses `--shard K/N`: whole numbers with 1 <= K <= N, or a one-line UsageError. */
export function parseShard(v: string): ShardSpec {
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(index) || !Number.isSafeInteger(count) || index < 1 || count < 1 || index > count) {
    throw new UsageError(`--shard: expected K/N with whole numbers 1 <= K <= N (e.g. 2/4), got "${v}"`);
  }
  return { index, count };
}
