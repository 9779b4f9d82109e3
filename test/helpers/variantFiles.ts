/**
 * Variant files for the CLI tests: a temporary directory to write them in, and the factory form
 * of a variant file (docs/writing-variants.md) around a test's overrides.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The variant API's module, for the files' type import. */
export const VARIANT_API = join(import.meta.dirname, '../../src/variantApi.ts');

/** A writer into a fresh temporary directory: (file name, text) -> the file's path. */
export function tempFiles(prefix: string): (name: string, text: string) => string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return (name, text) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
}

/**
 * A variant file in the factory form: `uses` are the VariantApi names the overrides use,
 * `breaks` and `overrides` are source text.
 */
export function factoryVariant(o: { name: string; uses: string; description: string; source: string; breaks: string; showcase: string; overrides: string }): string {
  return `import type { VariantApi } from ${JSON.stringify(VARIANT_API)};

export default ({ ${o.uses} }: VariantApi) =>
  defineVariant({
    name: '${o.name}',
    kind: 'proposed',
    description: '${o.description}',
    source: '${o.source}',
    breaks: ${o.breaks},
    showcase: '${o.showcase}',
    overrides: {
${o.overrides}
    },
  });
`;
}
