/**
 * `iommu-mc check --variant-file` on the VFIO hot-reset calls (issue 16, Deliver 2): the example of
 * docs/writing-variants.md, "any group fd proves ownership", breaks RESET-OWNED on
 * vfio-hot-reset-bus; every hot-reset call written as the kernel has it gives the built-in counts
 * (its states, hot_reset included, pass the variant guard).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Kernel } from '../../src/machines/semantics/index.ts';
import { run } from '../helpers/cli.ts';
import { factoryVariant, tempFiles, VARIANT_API } from '../helpers/variantFiles.ts';

const PAGE = readFileSync(join(import.meta.dirname, '../../docs/writing-variants.md'), 'utf8');
const DOC_EXAMPLE = [...PAGE.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!).find((t) => t.includes("name: 'my-hot-reset-any-group'"));

const write = tempFiles('iommu-mc-variant-hot-reset-');

const CALLS: (keyof Kernel)[] = ['vfio_pci_ioctl_pci_hot_reset', 'vfio_dev_in_groups', 'vfio_iommufd_get_dev_id', 'pci_bus_save_and_disable_locked', 'pci_bus_restore_locked'];

describe('check --variant-file: VFIO hot-reset calls', { timeout: 120_000 }, () => {
  it('a legacy hot reset that takes any group fd as proof (docs/writing-variants.md): RESET-OWNED breaks when the VMM resets 01:00.1', async () => {
    expect(DOC_EXAMPLE, 'the hot-reset example of docs/writing-variants.md is gone').toBeDefined();
    const file = write('hot-reset-any-group.ts', `import type { VariantApi } from ${JSON.stringify(VARIANT_API)};\n${DOC_EXAMPLE!}`);
    const r = await run(['check', '--variant-file', file, '--scenario', 'vfio-hot-reset-bus']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/vfio-hot-reset-bus\s+my-hot-reset-any-group\s+[✓✗] violated I20,RESET-OWNED/);
    expect(r.stdout).toContain("RESET-OWNED: vmm's VFIO_DEVICE_PCI_HOT_RESET through 01:00.0 resets 01:00.1, whose group it neither owns nor holds the group file of (nobody owns its group)");
  });

  it('every hot-reset call as the kernel has it: the states pass the variant guard, same verdict and counts as current', async () => {
    const file = write(
      'all-calls.ts',
      factoryVariant({ name: 'hot-reset-calls-as-kernel', uses: 'defineVariant, currentKernel', description: 'a hot-reset variant of a test', source: 'test/cli/variantFileHotReset.test.ts', breaks: "['I20']", showcase: 'vfio-hot-reset-bus', overrides: CALLS.map((n) => `      ${n}: (env, s, a) => currentKernel.${n}(env, s, a),`).join('\n') }),
    );
    const r = await run(['check', '--variant-file', file, '--scenario', 'vfio-hot-reset-bus']);
    expect(r.stderr).toBe('');
    const current = await run(['check', '--scenario', 'vfio-hot-reset-bus', '--variant', 'current']);
    // states, transitions, depth, time: the last four columns (the expected column reads "holds" until the manifest records the row).
    const counts = /vfio-hot-reset-bus\s+current\s+[✓✗] violated I20\s.*?\s(\d+)\s+(\d+)\s+\d+\s+[\d.]+s/.exec(current.stdout);
    expect(counts).not.toBeNull();
    expect(r.stdout).toMatch(new RegExp(`vfio-hot-reset-bus\\s+hot-reset-calls-as-kernel\\s+✓ violated I20\\s+violated I20\\s+${counts![1]}\\s+${counts![2]}\\s`));
  });
});
