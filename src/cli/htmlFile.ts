/**
 * `--html FILE` of check and diff: the path checked before any exploration (a file in a
 * writable directory), and the Mermaid browser bundle the page inlines so it renders offline.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { UsageError } from './errors.ts';

/**
 * Throws a one-line UsageError unless `file` can be written: not a directory, and its nearest
 * existing parent a writable directory (missing directories are created when the page is written).
 */
export function checkHtmlPath(file: string): void {
  if (existsSync(file) && statSync(file).isDirectory()) throw new UsageError(`${file}: --html: expected a file to write the page to, not a directory`);
  let dir = dirname(resolve(file));
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  if (!statSync(dir).isDirectory()) throw new UsageError(`${file}: --html: ${dir} is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`${file}: --html: the directory ${dir} is not writable`);
  }
}

/** The self-contained browser build of Mermaid (an IIFE that sets `globalThis.mermaid`). */
export function mermaidBundle(): string {
  const path = createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js');
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`${path}: --html: cannot read the Mermaid bundle the page inlines (reinstall the mermaid package)`);
  }
}
