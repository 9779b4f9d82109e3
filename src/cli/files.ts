/** File input and output for the CLI: readable errors, and writes that never leave half a file. */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

/**
 * mkdir -p, one level at a time: Node 20's `mkdirSync(dir, { recursive: true })` spins forever
 * on some paths (e.g. below /proc) instead of failing. Throws ENOTDIR for a path that is a file.
 */
function makeDirs(dir: string): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR' });
    return;
  }
  const parent = dirname(dir);
  if (parent !== dir) makeDirs(parent);
  mkdirSync(dir);
}

/**
 * Writes a set of files: each one to a temporary name first, then all renamed into place. A
 * failure before the renames removes the temporary files: nothing half-written.
 */
export function writeFilesAtomically(dir: string, files: { name: string; text: string }[]): void {
  try {
    makeDirs(dir);
  } catch (e) {
    throw new UsageError(`${dir}: cannot create the output directory (${(e as NodeJS.ErrnoException).code})`);
  }
  const staged: [string, string][] = [];
  for (const f of files) {
    const path = join(dir, f.name);
    const tmp = `${path}.tmp-${process.pid}`;
    try {
      makeDirs(dirname(path));
      writeFileSync(tmp, f.text);
    } catch (e) {
      for (const [t] of staged) rmSync(t, { force: true });
      throw new UsageError(`${path}: cannot write the file (${(e as NodeJS.ErrnoException).code})`);
    }
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
