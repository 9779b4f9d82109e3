/**
 * The CLI's file input and output: only regular files are read (a FIFO or /dev/zero would block
 * or eat memory), at most 16 MiB, UTF-16 refused with a hint; writes put regular files only
 * (never through a symlink or over a directory or device) and never leave half a set behind.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usageError } from '../helpers/usageError.ts';
import { describe, expect, it } from 'vitest';
import { checkOutputDir, checkOutputFile, readTextFile, writeFileAtomically, writeFilesAtomically } from '../../src/cli/files.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'iommu-mc-files-'));

/** Every path under `dir`, relative, sorted. */
const tree = (dir: string) => readdirSync(dir, { recursive: true }).map(String).sort();


describe('readTextFile', () => {
  it('refuses a FIFO, a device and a directory before opening them, in one line', () => {
    const dir = tmp();
    const fifo = join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    expect(usageError(() => readTextFile(fifo))).toBe(`${fifo}: cannot read the file (it is a FIFO (named pipe); expected a regular file)`);
    expect(usageError(() => readTextFile('/dev/zero'))).toBe('/dev/zero: cannot read the file (it is a device; expected a regular file)');
    expect(usageError(() => readTextFile(dir))).toBe(`${dir}: cannot read the file (it is a directory)`);
    expect(usageError(() => readTextFile(join(dir, 'none.yaml')))).toBe(`${join(dir, 'none.yaml')}: cannot read the file (no such file)`);
  });

  it('refuses a file over 16 MiB, naming the cap (a sparse file: nothing is read)', () => {
    const file = join(tmp(), 'big.yaml');
    writeFileSync(file, '');
    truncateSync(file, 16 * 2 ** 20 + 2 ** 19);
    expect(usageError(() => readTextFile(file))).toBe(`${file}: the file is too large (16.5 MiB); expected at most 16 MiB`);
  });

  it('drops a UTF-8 byte-order mark and refuses UTF-16 (with or without its mark) with a hint', () => {
    const dir = tmp();
    const write = (name: string, bytes: Buffer) => {
      writeFileSync(join(dir, name), bytes);
      return join(dir, name);
    };
    expect(readTextFile(write('bom.json', Buffer.from('\uFEFF{"a": 1}', 'utf8')))).toBe('{"a": 1}');
    const le = Buffer.from('\uFEFFname: t\n', 'utf16le');
    const be = Buffer.from(le).swap16();
    for (const f of [write('le.yaml', le), write('be.yaml', be), write('nobom.yaml', Buffer.from('name: t\n', 'utf16le'))]) {
      expect(usageError(() => readTextFile(f))).toBe(`${f}: the file is UTF-16; save it as UTF-8`);
    }
  });
});

describe('writeFilesAtomically', () => {
  it('writes every file and replaces regular files', () => {
    const dir = join(tmp(), 'out');
    writeFilesAtomically(dir, [{ name: 'a/x.txt', text: 'x' }, { name: 'y.txt', text: 'y' }]);
    writeFilesAtomically(dir, [{ name: 'y.txt', text: 'y2' }]);
    expect(tree(dir)).toEqual(['a', 'a/x.txt', 'y.txt']);
    expect(readFileSync(join(dir, 'y.txt'), 'utf8')).toBe('y2');
  });

  it('a directory where a file goes: one line, and nothing written, no temporary file or new directory left', () => {
    const dir = tmp();
    mkdirSync(join(dir, 's/v/I1.txt'), { recursive: true });
    const message = usageError(() =>
      writeFilesAtomically(dir, [{ name: 'new/WARN.txt', text: 'w' }, { name: 's/v/WARN.txt', text: 'w' }, { name: 's/v/I1.txt', text: '1' }, { name: 's/v/I3.txt', text: '3' }]),
    );
    expect(message).toBe(`${join(dir, 's/v/I1.txt')}: cannot write the file (it is a directory); expected a regular file or no file`);
    expect(tree(dir)).toEqual(['s', 's/v', 's/v/I1.txt']);
  });

  it('a symlink or a FIFO at the target is refused, and the link and its target are left alone', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'target'), 'keep');
    symlinkSync(join(dir, 'target'), join(dir, 'link.json'));
    execFileSync('mkfifo', [join(dir, 'fifo.json')]);
    expect(usageError(() => writeFileAtomically(join(dir, 'link.json'), '{}'))).toMatch(/link\.json: cannot write the file \(it is a symbolic link\)/);
    expect(usageError(() => writeFileAtomically(join(dir, 'fifo.json'), '{}'))).toMatch(/fifo\.json: cannot write the file \(it is a FIFO \(named pipe\)\)/);
    expect(readlinkSync(join(dir, 'link.json'))).toBe(join(dir, 'target'));
    expect(readFileSync(join(dir, 'target'), 'utf8')).toBe('keep');
    expect(tree(dir)).toEqual(['fifo.json', 'link.json', 'target']);
  });

  it('a device node (root once replaced /dev/full with a JSON file) is refused, not replaced', () => {
    expect(usageError(() => writeFileAtomically('/dev/null', '{}'))).toBe('/dev/null: cannot write the file (it is a device); expected a regular file or no file');
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });
});

describe('checks before a run (nothing is created)', () => {
  it('checkOutputFile refuses a directory, a symlink and a path below a file, and accepts a new name', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'file'), '');
    symlinkSync(join(dir, 'file'), join(dir, 'link'));
    expect(usageError(() => checkOutputFile(dir))).toBe(`${dir}: cannot write the file (it is a directory); expected a regular file or a new name`);
    expect(usageError(() => checkOutputFile(join(dir, 'link')))).toMatch(/cannot write the file \(it is a symbolic link\)/);
    expect(usageError(() => checkOutputFile(join(dir, 'file/m.json')))).toMatch(/m\.json: cannot write the file \(a parent is not a directory\)/);
    checkOutputFile(join(dir, 'new/deeper/m.json'));
    checkOutputFile(join(dir, 'file'));
    expect(tree(dir)).toEqual(['file', 'link']);
  });

  it('checkOutputDir refuses a file and a path below a file, and accepts a new directory without creating it', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'file'), '');
    expect(usageError(() => checkOutputDir(join(dir, 'file')))).toBe(`${join(dir, 'file')}: cannot create the output directory (it is a regular file)`);
    expect(usageError(() => checkOutputDir(join(dir, 'file/out')))).toBe(`${join(dir, 'file/out')}: cannot create the output directory (${join(dir, 'file')} is not a directory)`);
    checkOutputDir(join(dir, 'new/out'));
    expect(tree(dir)).toEqual(['file']);
  });
});
