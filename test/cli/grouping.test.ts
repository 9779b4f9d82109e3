/** `--grouping` on check and diff: the same machine grouped by mainline or by the pending switch-groups rule. */
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/cli.ts';

describe('--grouping', { timeout: 30_000 }, () => {
  it('check --grouping switch-groups: the switch without ACS becomes one group and the VM bind is refused beside the host driver, so P2P holds', async () => {
    const r = await run(['check', '--scenario', 'switch-split-mainline', '--variant', 'current', '--grouping', 'switch-groups', '--traces', 'none']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/switch-split-mainline\s+current\s+✓ holds/);
  });

  it('diff current current --grouping mainline --grouping-b switch-groups names the invariants only mainline grouping breaks', async () => {
    const r = await run(['diff', 'current', 'current', '--scenario', 'switch-split-mainline', '--grouping', 'mainline', '--grouping-b', 'switch-groups']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/current \(mainline\) breaks P2P, RID \(current \(switch-groups\) keeps them\)/);
    expect(r.stdout).toMatch(/start from different states: 2 IOMMU group\(s\) under mainline, 1 under switch-groups/);
  });

  it('an unknown grouping rule is exit 2 with one line naming the option', async () => {
    const r = await run(['check', '--grouping', 'acs-override']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--grouping/);
  });
});
