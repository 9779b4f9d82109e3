/**
 * Errors the CLI turns into exit codes. Only src/cli touches the console and process.exit.
 */

/** Bad usage or bad input: printed as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Exit codes, as documented in the README. */
export const EXIT = {
  /** Every result matches its expectation. */
  OK: 0,
  /** An unexpected violation, or an expected violation that did not appear. */
  MISMATCH: 1,
  /** Bad usage or bad input. */
  USAGE: 2,
  /** A bound cut exploration short. */
  INCOMPLETE: 3,
  /** An internal error (a bug in iommu-mc, not a verdict): reported with its stack. */
  INTERNAL: 4,
  /** Interrupted by Ctrl-C (SIGINT): nothing was reported or written. */
  INTERRUPTED: 130,
} as const;
