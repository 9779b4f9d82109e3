/** The one-line message of the UsageError `f` throws (fails the test when it throws nothing or something else). */
import { expect } from 'vitest';
import { UsageError } from '../../src/cli/errors.ts';

export function usageError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
}
