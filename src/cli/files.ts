/** File input and output for the CLI: readable errors, and writes that never leave half a file. */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from './errors.ts';

/** Reads a text file or throws a one-line UsageError naming it. */
export function readTextFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${file}: cannot read the file (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code ?? 'error'})`);
  }
}

/** Writes a set of files: each one to a temporary name first, then renamed into place. */
export function writeFilesAtomically(dir: string, files: { name: string; text: string }[]): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(`${dir}: cannot create the output directory (${(e as NodeJS.ErrnoException).code})`);
  }
  const staged: [string, string][] = [];
  for (const f of files) {
    const path = join(dir, f.name);
    const tmp = `${path}.tmp-${process.pid}`;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, f.text);
    staged.push([tmp, path]);
  }
  for (const [tmp, path] of staged) renameSync(tmp, path);
}

/** Writes one file atomically. */
export const writeFileAtomically = (path: string, text: string): void => writeFilesAtomically(dirname(path), [{ name: path.slice(dirname(path).length + 1), text }]);

/** A file's text, or null when it does not exist (other errors are a UsageError naming it). */
export function readTextFileOrNull(file: string): string | null {
  if (!existsSync(file)) return null;
  return readTextFile(file);
}

/** The names of the files directly in `dir` (none when it does not exist). */
export function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/** Removes a file (used for stale generated files only). */
export const removeFile = (file: string): void => rmSync(file, { force: true });
