/** Parsers for CLI option values: each throws a UsageError naming the option and what it expects. */
import { UsageError } from './errors.ts';

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

/** A positive number option (seconds). */
export const positiveNumber = (flag: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag}: expected a positive number, got "${v}"`);
  return n;
};

/** Collects a repeatable option. */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, ...v.split(',').filter(Boolean)];

/** Checks a name against the allowed choices. */
export function oneOf(flag: string, value: string, choices: readonly string[]): string {
  if (!choices.includes(value)) throw new UsageError(`${flag}: unknown "${value}"; choose one of: ${choices.join(', ')}`);
  return value;
}
