/** A bug in iommu-mc is never read as a verdict: exit 4, the message and the stack on stderr. */
import { Command } from 'commander';
import { expect, it, vi } from 'vitest';
import { run } from '../helpers/cli.ts';

// A command whose action fails the way a bug would (not a UsageError).
vi.mock('../../src/cli/commands/list.ts', () => ({
  listCommand: () =>
    new Command('list').action(() => {
      throw new TypeError('boom: cannot read properties of undefined');
    }),
}));

it('an internal error exits 4 (not 1, the mismatch code) with the message and the stack', async () => {
  const r = await run(['list']);
  expect(r.code).toBe(4);
  expect(r.stderr).toMatch(/^iommu-mc: internal error \(a bug in iommu-mc, not a verdict; please report it with the command line\): boom: cannot read properties of undefined\n\s+at /);
  expect(r.stdout).toBe('');
});
