/**
 * docs/writing-variants.md cannot drift from the tool: its worked example is taken from the page's
 * code fence as a user copies it (only the `import type` path pointed at this clone), checked as
 * the page says to check it, and the outputs the page shows are found in what the commands print.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/cli.ts';

const PAGE = readFileSync(join(import.meta.dirname, '../../docs/writing-variants.md'), 'utf8');
const API = join(import.meta.dirname, '../../src/variantApi.ts');

/** The page's fenced blocks, with their language and the prose just before each. */
const blocks = [...PAGE.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, text: m[2]!, before: PAGE.slice(Math.max(0, m.index - 400), m.index) }));
const block = (test: (b: (typeof blocks)[number]) => boolean) => {
  const b = blocks.find(test);
  if (!b) throw new Error('docs/writing-variants.md: a block this test reads is gone');
  return b;
};

const dir = mkdtempSync(join(tmpdir(), 'iommu-mc-variant-docs-'));
const example = block((b) => b.lang === 'ts' && b.text.includes('defineVariant({'));
const file = join(dir, 'my-proposal.ts');
writeFileSync(file, example.text.replace("'/path/to/iommu-mc/src/variantApi.ts'", JSON.stringify(API)));

const squeeze = (s: string) => s.replace(/\s+/g, ' ').trim();

/**
 * Every line of an abridged sample appears in `output`, in order; "..." in a line stands for text
 * left out. The sample names the variant file `my-proposal.ts`, as the page's commands do.
 */
function expectSample(sample: string, output: string): void {
  const out = squeeze(output.split(file).join('my-proposal.ts'));
  let at = 0;
  for (const line of sample.split('\n')) {
    for (const part of line.split('...').map((p) => squeeze(p).replace(/^,\s*|,\s*$/g, ''))) {
      if (!part) continue;
      const found = out.indexOf(part, at);
      expect(found, `docs/writing-variants.md shows "${part}", which the output does not have (after what came before it)`).toBeGreaterThanOrEqual(0);
      at = found + part.length;
    }
  }
}

describe('docs/writing-variants.md', { timeout: 120_000 }, () => {
  it('the worked example, copied from the page, checks clean on every built-in scenario (exit 0) and prints what the page shows', async () => {
    const r = await run(['check', '--variant-file', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const claim = /`pci-stub-neighbour` reads\s+`([^`]+)`/.exec(PAGE);
    expect(claim, 'the page says what the pci-stub-neighbour row reads').not.toBeNull();
    expect(r.stdout).toMatch(new RegExp(`pci-stub-neighbour\\s+use-default-domain-when-owned\\s+${claim![1]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s`));
    expectSample(block((b) => b.before.includes('abridged here')).text, r.stdout);
  });

  it('the page\'s other commands on the example: the check on two scenarios (exit 0), one alone (the mismatch the page describes), diff', async () => {
    const commands = block((b) => b.lang === 'sh' && b.text.includes('check --variant-file my-proposal.ts'))
      .text.split('\n')
      .filter((l) => l.startsWith('iommu-mc check --variant-file my-proposal.ts '))
      .map((l) => l.replace(/#.*/, '').trim().split(/\s+/).slice(1).map((a) => (a === 'my-proposal.ts' ? file : a)));
    expect(commands.length).toBeGreaterThan(0);
    for (const args of commands) {
      const r = await run([...args, '--traces', 'none']);
      expect(r.code, args.join(' ')).toBe(0);
    }
    const alone = await run(['check', '--variant-file', file, '--scenario', 'pci-stub-neighbour', '--traces', 'none']);
    expect(alone.code).toBe(1);
    expect(alone.stdout).toMatch(/pci-stub-neighbour\s+use-default-domain-when-owned\s+✗ violated I1,I3,I4,P2P\s+violated I1,I3,I4,P2P,WARN\s/);
    const diff = await run(['diff', 'current', file, '--scenario', 'pci-stub-neighbour']);
    expect(diff.stderr).toBe('');
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain('use-default-domain-when-owned breaks I1, I3, I4 (current keeps them)');
  });

  it('the diff sample is what its command prints', async () => {
    const sample = block((b) => /Sample \(`iommu-mc diff [^`]+`, abridged\):\s*$/.test(b.before));
    const command = /Sample \(`iommu-mc (diff [^`]+)`, abridged\):\s*$/.exec(sample.before)![1]!.split(/\s+/);
    const r = await run(command);
    expect(r.code).toBe(0);
    expectSample(sample.text, r.stdout);
  });

  it('the first line of the Errors block is what a missing file gives', async () => {
    const errors = block((b) => b.text.startsWith('iommu-mc: my-proposal.ts: cannot read the file'));
    const r = await run(['check', '--variant-file', join(dir, 'missing', 'my-proposal.ts')]);
    expect(r.code).toBe(2);
    expect(r.stderr.split(join(dir, 'missing', 'my-proposal.ts')).join('my-proposal.ts')).toBe(`${errors.text.split('\n')[0]}\n`);
  });
});
