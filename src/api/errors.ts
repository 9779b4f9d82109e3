/** The library's error for bad input, and the translation of the CLI's readers' errors into it. */
import { UsageError } from '../cli/errors.ts';

/**
 * Bad input to the library: a scenario file that does not parse or validate, an unknown scenario
 * or variant name, an option out of range. The message is one line naming the file (or option),
 * the field and what was expected: what `iommu-mc check` prints before exiting with code 2.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/** Runs `read`; a UsageError of the CLI's file readers becomes an InputError with the same message. */
export function asInputError<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof UsageError) throw new InputError(e.message, { cause: e });
    throw e;
  }
}
