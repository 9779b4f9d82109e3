/**
 * `check --out DIR` holds the counterexamples of the last run only: a list of what was written
 * (iommu-mc-out.json) lets the next run remove its stale files; a directory of someone else's is
 * refused rather than mixed with traces.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usageError } from '../helpers/usageError.ts';
import { describe, expect, it } from 'vitest';
import { checkOutDir, OUT_LIST, outDirSummary, writeOutDir } from '../../src/cli/outDir.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'iommu-mc-outdir-'));
const tree = (dir: string) => readdirSync(dir, { recursive: true }).map(String).sort();
const trace = (name: string) => ({ name, text: `${name}\n` });

describe('writeOutDir', () => {
  it('lists what it wrote; the next run removes what it does not write again, and directories left empty', () => {
    const dir = join(tmp(), 'o');
    const first = writeOutDir(dir, [trace('s/w1/I1.txt'), trace('s/w1/I3.txt'), trace('s/w7/I6.txt')]);
    expect(first).toEqual({ written: 3, removed: [] });
    expect(JSON.parse(readFileSync(join(dir, OUT_LIST), 'utf8'))).toEqual({ writtenBy: 'iommu-mc', files: ['s/w1/I1.txt', 's/w1/I3.txt', 's/w7/I6.txt'] });
    const second = writeOutDir(dir, [trace('s/w7/I6.txt')]);
    expect(second).toEqual({ written: 1, removed: ['s/w1/I1.txt', 's/w1/I3.txt'] });
    expect(tree(dir)).toEqual([OUT_LIST, 's', 's/w7', 's/w7/I6.txt']);
    expect(outDirSummary(dir, second)).toBe(`Traces written to ${dir} (1 file); removed 2 files of an earlier run`);
    const third = writeOutDir(dir, []);
    expect(outDirSummary(dir, third)).toBe(`--out ${dir}: no counterexamples to write; removed 1 file of an earlier run`);
    expect(tree(dir)).toEqual([OUT_LIST]);
  });

  it('with nothing to write and no earlier run, creates nothing', () => {
    const dir = join(tmp(), 'never');
    const r = writeOutDir(dir, []);
    expect(outDirSummary(dir, r)).toBe(`--out ${dir}: no counterexamples to write`);
    expect(readdirSync(join(dir, '..'))).toEqual([]);
  });

  it('files the user added beside the listed ones are kept', () => {
    const dir = tmp();
    writeOutDir(dir, [trace('s/v/I1.txt')]);
    writeFileSync(join(dir, 's/v/notes.md'), 'mine');
    writeOutDir(dir, []);
    expect(tree(dir)).toEqual([OUT_LIST, 's', 's/v', 's/v/notes.md']);
  });
});

describe('a directory not written by iommu-mc', () => {
  const refusal = usageError;

  it('non-empty without the list: refused before a run and at writing, untouched', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'thesis.tex'), 'mine');
    const message = `${dir}: the directory is not empty and was not written by iommu-mc (no ${OUT_LIST}); expected a new or empty directory for --out`;
    expect(refusal(() => checkOutDir(dir))).toBe(message);
    expect(refusal(() => writeOutDir(dir, [trace('s/v/I1.txt')]))).toBe(message);
    expect(tree(dir)).toEqual(['thesis.tex']);
  });

  it('an empty directory is fine', () => {
    const dir = tmp();
    checkOutDir(dir);
    expect(writeOutDir(dir, [trace('a.txt')]).written).toBe(1);
  });

  it.each([
    ['not JSON', 'nonsense'],
    ['not our list', '{"files": []}'],
    ['a path out of the directory', '{"writtenBy": "iommu-mc", "files": ["../victim.txt"]}'],
    ['an absolute path', '{"writtenBy": "iommu-mc", "files": ["/etc/passwd"]}'],
  ])('a list that is %s is refused, and nothing is removed', (_what, text) => {
    const root = tmp();
    const dir = join(root, 'o');
    mkdirSync(dir);
    writeFileSync(join(root, 'victim.txt'), 'keep');
    writeFileSync(join(dir, OUT_LIST), text);
    expect(refusal(() => writeOutDir(dir, []))).toMatch(new RegExp(`^${join(dir, OUT_LIST)}: expected the list of files an earlier iommu-mc run wrote`));
    expect(readFileSync(join(root, 'victim.txt'), 'utf8')).toBe('keep');
  });
});
