// @vitest-environment happy-dom
/**
 * Every ```mermaid block of the generated docs parses with Mermaid's own parser (the `mermaid`
 * package, the renderer GitHub uses), run under happy-dom because its sanitizer needs a DOM. A
 * broken diagram of each kind is rejected, so the test can fail.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDocs } from '../../src/report/docsSite.ts';

type Mermaid = { parse: (text: string) => Promise<unknown> };
let mermaid: Mermaid;

beforeAll(async () => {
  mermaid = (await import('mermaid')).default as unknown as Mermaid;
});

/** The bodies of the fenced mermaid blocks of a Markdown text. */
const mermaidBlocks = (md: string): string[] => [...md.matchAll(/^```mermaid\n([\s\S]*?)\n```$/gm)].map((m) => m[1]!);

const build = buildDocs();
const blocks = build.files.flatMap((f) => mermaidBlocks(f.text).map((b, i) => [`${f.name} #${i + 1}`, b] as const));

describe('Mermaid blocks of the generated docs', () => {
  it('there is a sequence diagram in every decision record and a state diagram per machine', () => {
    for (const f of build.files.filter((x) => /^decisions\/\d{4}-/.test(x.name))) expect(mermaidBlocks(f.text).some((b) => b.startsWith('sequenceDiagram')), f.name).toBe(true);
    expect(mermaidBlocks(build.files.find((f) => f.name === 'machines.md')!.text).filter((b) => b.startsWith('stateDiagram-v2'))).toHaveLength(4);
  });

  it.each(blocks)('%s parses', async (_name, text) => {
    await expect(mermaid.parse(text)).resolves.toBeTruthy();
  });

  it('the committed docs are the generated ones, so they parse too', () => {
    for (const f of build.files) expect(readFileSync(join(import.meta.dirname, '../../docs', f.name), 'utf8'), f.name).toBe(f.text);
  });

  it('a broken sequence diagram and a broken state diagram are rejected', async () => {
    await expect(mermaid.parse('sequenceDiagram\n  participant a as A\n  a->>: no target')).rejects.toThrow(/Parse error/);
    await expect(mermaid.parse('stateDiagram-v2\n  free --> : no target')).rejects.toThrow(/Parse error/);
    const record = build.files.find((f) => f.name.startsWith('decisions/0001-'))!.text;
    const seq = mermaidBlocks(record)[0]!;
    await expect(mermaid.parse(seq.replace('->>kernel:', '->>:'))).rejects.toThrow(/Parse error/);
  });
});
