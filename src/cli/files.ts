/**
 * File input and output for the CLI: readable one-line errors; reads of regular files only, with
 * a size cap; writes of regular files only, that never leave half a file.
 */
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './errors.ts';

/**
 * The largest input file read (scenario, topology, lspci dump): real ones are a few KiB to a few
 * hundred KiB, and a 50 MB scenario once cost 1.9 GB of memory.
 */
export const MAX_INPUT_BYTES = 16 * 2 ** 20;

const mib = (bytes: number): string => `${Number.isInteger(bytes / 2 ** 20) ? bytes / 2 ** 20 : (bytes / 2 ** 20).toFixed(1)} MiB`;

/** What a file system entry is, for messages: "a directory", "a FIFO (named pipe)", ... */
function kindOf(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

const codeOf = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

/** An errno as the short reason in "cannot read the file (...)". */
function reason(e: unknown): string {
  const code = codeOf(e);
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'ENOTDIR') return 'a parent is not a directory';
  return code ?? (e instanceof Error ? e.message.split('\n')[0]! : 'error');
}

const tooLarge = (file: string, size: string, max: number) =>
  new UsageError(`${file}: the file is too large (${size}); expected at most ${mib(max)}`);

/** Up to `limit` bytes of an open file. */
function readAtMost(fd: number, limit: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < limit) {
    const chunk = Buffer.alloc(Math.min(1 << 20, limit - total));
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    total += n;
  }
  return Buffer.concat(chunks, total);
}

/** True for text in UTF-16: a byte-order mark, or (mostly ASCII text) a zero byte in every other position. */
function looksUtf16(buf: Buffer): boolean {
  if (buf.length >= 2 && ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff))) return true;
  const pairs = Math.min(buf.length, 512) >> 1;
  if (pairs < 2) return false;
  let zeroEven = 0;
  let zeroOdd = 0;
  for (let i = 0; i < pairs; i++) {
    if (buf[2 * i] === 0) zeroEven++;
    if (buf[2 * i + 1] === 0) zeroOdd++;
  }
  return (zeroEven === 0 && zeroOdd * 2 >= pairs) || (zeroOdd === 0 && zeroEven * 2 >= pairs);
}

/** The text of a file's bytes: UTF-8, a leading byte-order mark dropped; UTF-16 is refused with a hint. */
function decodeText(buf: Buffer, file: string): string {
  if (looksUtf16(buf)) throw new UsageError(`${file}: the file is UTF-16; save it as UTF-8`);
  const text = buf.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Reads a text file or throws a one-line UsageError naming it. Only a regular file is read (a
 * directory, FIFO or device such as /dev/zero is refused before it is opened), and at most
 * `maxBytes` of it; a UTF-8 byte-order mark is dropped and UTF-16 refused.
 */
export function readTextFile(file: string, maxBytes: number = MAX_INPUT_BYTES): string {
  const cannot = (why: string) => new UsageError(`${file}: cannot read the file (${why})`);
  const notRegular = (st: Stats) => cannot(st.isDirectory() ? 'it is a directory' : `it is ${kindOf(st)}; expected a regular file`);
  let st: Stats;
  try {
    st = statSync(file);
  } catch (e) {
    throw cannot(reason(e));
  }
  if (!st.isFile()) throw notRegular(st);
  if (st.size > maxBytes) throw tooLarge(file, mib(st.size), maxBytes);
  let fd: number;
  try {
    // O_NONBLOCK: should a FIFO have replaced the file since the stat, opening it does not wait for a writer.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw cannot(reason(e));
  }
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) throw notRegular(opened);
    let buf: Buffer;
    try {
      buf = readAtMost(fd, maxBytes + 1);
    } catch (e) {
      throw cannot(reason(e));
    }
    if (buf.length > maxBytes) throw tooLarge(file, `more than ${mib(maxBytes)}`, maxBytes);
    return decodeText(buf, file);
  } finally {
    closeSync(fd);
  }
}

/** A file's text, or null when it does not exist (other errors are a UsageError naming it). */
export function readTextFileOrNull(file: string): string | null {
  if (!existsSync(file)) return null;
  return readTextFile(file);
}

/** Why a regular file cannot be put at `path`, or null when it is absent or a regular file (a symlink is not followed). */
function targetProblem(path: string): string | null {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (e) {
    return codeOf(e) === 'ENOENT' ? null : reason(e);
  }
  return st.isFile() ? null : `it is ${kindOf(st)}`;
}

/** Why directory `dir` cannot be written in or created, or null: its nearest existing ancestor must be a writable directory. */
function dirProblem(dir: string): string | null {
  const target = resolve(dir);
  for (let d = target; ; d = dirname(d)) {
    let st: Stats | undefined;
    try {
      st = statSync(d);
    } catch (e) {
      if (codeOf(e) !== 'ENOENT' && codeOf(e) !== 'ENOTDIR') return reason(e);
    }
    if (st) {
      if (!st.isDirectory()) return d === target ? `it is ${kindOf(st)}` : `${d} is not a directory`;
      try {
        accessSync(d, constants.W_OK | constants.X_OK);
      } catch {
        return d === target ? 'the directory is not writable' : `${d} is not writable`;
      }
      return null;
    }
    if (dirname(d) === d) return 'no such directory';
  }
}

/** Throws a one-line UsageError unless directory `dir` exists and is writable, or can be created. */
export function checkOutputDir(dir: string): void {
  const problem = dirProblem(dir);
  if (problem) throw new UsageError(`${dir}: cannot create the output directory (${problem})`);
}

/**
 * Throws a one-line UsageError unless a regular file can be written at `path`: nothing or a
 * regular file there (not a directory, symlink, FIFO or device), in a directory that is writable
 * or can be created. Run it before a long exploration, so that a typo does not lose its results.
 */
export function checkOutputFile(path: string): void {
  const target = targetProblem(path);
  if (target) throw new UsageError(`${path}: cannot write the file (${target}); expected a regular file or a new name`);
  const dir = dirProblem(dirname(path));
  if (dir) throw new UsageError(`${path}: cannot write the file (${dir})`);
}

/**
 * mkdir -p, one level at a time: Node 20's `mkdirSync(dir, { recursive: true })` spins forever
 * on some paths (e.g. below /proc) instead of failing. Throws ENOTDIR for a path that is a file.
 * Pushes every directory it creates onto `created`.
 */
function makeDirs(dir: string, created: string[]): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR' });
    return;
  }
  const parent = dirname(dir);
  if (parent !== dir) makeDirs(parent, created);
  mkdirSync(dir);
  created.push(dir);
}

/**
 * Writes a set of regular files under `dir`. Every target is checked first (absent or a regular
 * file, never a directory, symlink or device), then each file is written to a fresh temporary
 * name, then all are renamed into place. Any failure removes the temporary files and the
 * directories this call created, and is a one-line UsageError: nothing half-written.
 */
export function writeFilesAtomically(dir: string, files: readonly { name: string; text: string }[]): void {
  checkOutputDir(dir);
  const targets = files.map((f) => join(dir, f.name));
  for (const path of targets) {
    const problem = targetProblem(path);
    if (problem) throw new UsageError(`${path}: cannot write the file (${problem}); expected a regular file or no file`);
  }
  const created: string[] = [];
  const staged: string[] = [];
  const undo = (from = 0) => {
    for (const tmp of staged.slice(from)) rmSync(tmp, { force: true });
    for (const d of created.reverse()) {
      try {
        rmdirSync(d);
      } catch {
        // not empty: a rename already put a file there
      }
    }
  };
  const suffix = `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  for (const [i, path] of targets.entries()) {
    try {
      makeDirs(dirname(path), created);
      // 'wx': never through a symlink or over anything already at the temporary name.
      writeFileSync(`${path}${suffix}`, files[i]!.text, { flag: 'wx' });
    } catch (e) {
      undo();
      throw new UsageError(`${path}: cannot write the file (${reason(e)})`);
    }
    staged.push(`${path}${suffix}`);
  }
  for (const [i, path] of targets.entries()) {
    try {
      // Checked again: something may have appeared at the path since the check above.
      const problem = targetProblem(path);
      if (problem) throw new Error(`${problem}; expected a regular file or no file`);
      renameSync(staged[i]!, path);
    } catch (e) {
      undo(i);
      throw new UsageError(`${path}: cannot write the file (${codeOf(e) ? reason(e) : (e as Error).message})`);
    }
  }
}

/** Writes one regular file atomically (see writeFilesAtomically). */
export const writeFileAtomically = (path: string, text: string): void => writeFilesAtomically(dirname(path), [{ name: basename(path), text }]);

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
