/**
 * `check --out DIR`: the directory holds the counterexamples of the last run only. Each run
 * writes DIR/iommu-mc-out.json listing the files it wrote, and removes those an earlier run
 * listed that it does not write again (stale counterexamples would mislead a CI artefact). A
 * non-empty directory without that list is refused: it was not written by iommu-mc.
 */
import { lstatSync, readdirSync, realpathSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { UsageError } from './errors.ts';
import { checkOutputDir, readTextFile, writeFilesAtomically } from './files.ts';

/** The list of the files a run wrote, in the --out directory. */
export const OUT_LIST = 'iommu-mc-out.json';

/** What writeOutDir did: files written (the list not counted) and stale files removed. */
export interface OutDirResult {
  readonly written: number;
  readonly removed: readonly string[];
}

/** A relative path inside the directory: no `..`, `.` or empty segments, not absolute, not the list itself. */
const insideName = (n: unknown): n is string =>
  typeof n === 'string' && n !== OUT_LIST && !isAbsolute(n) && !n.includes('\0') && n.split(/[\\/]/).every((s) => s !== '' && s !== '.' && s !== '..');

/** The files an earlier run listed in `dir`; none for a missing or empty directory. Throws for a directory of someone else's. */
function earlierFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    throw new UsageError(`${dir}: cannot read the output directory (${code === 'ENOTDIR' ? 'it is not a directory' : code})`);
  }
  if (entries.length === 0) return [];
  if (!entries.includes(OUT_LIST)) throw new UsageError(`${dir}: the directory is not empty and was not written by iommu-mc (no ${OUT_LIST}); expected a new or empty directory for --out`);
  const path = join(dir, OUT_LIST);
  let data: unknown;
  try {
    data = JSON.parse(readTextFile(path, 2 ** 20));
  } catch (e) {
    if (e instanceof UsageError) throw e;
  }
  const files = (data as { files?: unknown } | undefined)?.files;
  if ((data as { writtenBy?: unknown } | undefined)?.writtenBy !== 'iommu-mc' || !Array.isArray(files) || !files.every(insideName)) {
    throw new UsageError(`${path}: expected the list of files an earlier iommu-mc run wrote ({"writtenBy": "iommu-mc", "files": [...]}); remove it or choose another --out directory`);
  }
  return files;
}

/** Before a run: throws a one-line UsageError unless `dir` can be created or written, and is new, empty or iommu-mc's. */
export function checkOutDir(dir: string): void {
  checkOutputDir(dir);
  earlierFiles(dir);
}

/** Removes `name` under `dir` if it is a regular file, then its parent directories up to `dir` that are left empty. */
function removeStale(dir: string, name: string): boolean {
  const root = resolve(dir);
  const path = resolve(root, name);
  try {
    // Not through a directory symlinked out of `dir` since the earlier run.
    const real = realpathSync(dirname(path));
    if (real !== realpathSync(root) && !real.startsWith(`${realpathSync(root)}${sep}`)) return false;
    if (!lstatSync(path).isFile()) return false;
    rmSync(path);
  } catch {
    return false;
  }
  for (let d = dirname(path); d !== root && d.startsWith(`${root}${sep}`); d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      break;
    }
  }
  return true;
}

/**
 * After a run: writes `files` and the list under `dir` (all or nothing), then removes the files
 * an earlier run listed that this one did not write. With no files and nothing earlier, it
 * creates nothing.
 */
export function writeOutDir(dir: string, files: readonly { name: string; text: string }[]): OutDirResult {
  const earlier = earlierFiles(dir);
  if (files.length === 0 && earlier.length === 0) return { written: 0, removed: [] };
  const names = [...new Set(files.map((f) => f.name))].sort();
  writeFilesAtomically(dir, [...files, { name: OUT_LIST, text: `${JSON.stringify({ writtenBy: 'iommu-mc', files: names }, null, 2)}\n` }]);
  const removed = earlier.filter((n) => !names.includes(n)).filter((n) => removeStale(dir, n));
  return { written: files.length, removed };
}

/** The line `check` prints after writing --out. */
export function outDirSummary(dir: string, r: OutDirResult): string {
  const removed = r.removed.length ? `; removed ${r.removed.length} file${r.removed.length === 1 ? '' : 's'} of an earlier run` : '';
  if (r.written === 0) return `--out ${dir}: no counterexamples to write${removed}`;
  return `Traces written to ${dir} (${r.written} file${r.written === 1 ? '' : 's'})${removed}`;
}
