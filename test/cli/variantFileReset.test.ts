/**
 * `iommu-mc check --variant-file` on the staged-reset calls (issue 16): a variant file can
 * override pci_dev_reset_iommu_prepare, pci_dev_reset_iommu_done and __iommu_attach_device; the
 * example of docs/writing-variants.md, "done ignores reset_depth", breaks I20 on pci-reset-staged.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/cli.ts';
import { factoryVariant, tempFiles } from '../helpers/variantFiles.ts';

const write = tempFiles('iommu-mc-variant-reset-');

const variantFile = (name: string, breaks: string, overrides: string) =>
  factoryVariant({ name, uses: 'defineVariant, ok, currentKernel, updateDevice', description: 'a staged-reset variant of a test', source: 'test/cli/variantFileReset.test.ts', breaks, showcase: 'pci-reset-staged', overrides });

describe('check --variant-file: staged-reset calls', { timeout: 120_000 }, () => {
  it('pci_dev_reset_iommu_done that ignores reset_depth (docs/writing-variants.md): I20 breaks at the inner done, and the outer done WARNs (unbalanced)', async () => {
    const file = write(
      'done-ignores-depth.ts',
      variantFile('my-done-ignores-depth', "['WARN', 'I20']", '      pci_dev_reset_iommu_done: (env, s, a) => currentKernel.pci_dev_reset_iommu_done(env, updateDevice(s, a.dev, { reset_depth: Math.min(1, s.devices[a.dev]?.reset_depth ?? 0) }), a),'),
    );
    const r = await run(['check', '--variant-file', file, '--scenario', 'pci-reset-staged']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pci-reset-staged\s+my-done-ignores-depth\s+✓ violated WARN,I20/);
    expect(r.stdout).toMatch(/pci_dev_reset_iommu_prepare\(03:00\.0\) = 0[\s\S]*pci_dev_reset_iommu_prepare\(03:00\.0\) = 0[\s\S]*pci_dev_reset_iommu_done\(03:00\.0\) = 0/);
    expect(r.stdout).toContain('I20: 03:00.0 is in reset (1 reset method running) but its requester ID is on default');
  });

  it('a pci_dev_reset_iommu_prepare that parks nothing: the device resets on its domain, I20 breaks in one call (and done WARNs: unbalanced)', async () => {
    const file = write('prepare-nothing.ts', variantFile('prepare-parks-nothing', "['WARN', 'I20']", '      pci_dev_reset_iommu_prepare: (_env, s) => ok(s),'));
    const r = await run(['check', '--variant-file', file, '--scenario', 'pci-reset-staged']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pci-reset-staged\s+prepare-parks-nothing\s+✓ violated WARN,I20/);
  });

  it('an __iommu_attach_device that programs only the device\'s own requester ID: the DMA-alias sibling breaks I20', async () => {
    const file = write('own-rid.ts', variantFile('own-rid-only', "['I20']", "      __iommu_attach_device: (_env, s, a) => ok(updateDevice(s, a.dev, { hw: a.domain })),"));
    const r = await run(['check', '--variant-file', file, '--scenario', 'pci-reset-dma-alias']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pci-reset-dma-alias\s+own-rid-only\s+✓ violated I20/);
    expect(r.stdout).toContain('06:00.1, which shares its requester ID (DMA alias), is on default');
  });

  it('every new call can be overridden: as the kernel has them, the states they return pass the variant guard and the scenario holds with the same counts', async () => {
    const file = write(
      'all-calls.ts',
      variantFile(
        'reset-calls-as-kernel',
        '[]',
        [
          '      pci_dev_reset_iommu_prepare: (env, s, a) => currentKernel.pci_dev_reset_iommu_prepare(env, s, a),',
          '      pci_dev_reset_iommu_done: (env, s, a) => currentKernel.pci_dev_reset_iommu_done(env, s, a),',
          '      __iommu_attach_device: (env, s, a) => currentKernel.__iommu_attach_device(env, s, a),',
        ].join('\n'),
      ),
    );
    const r = await run(['check', '--variant-file', file, '--scenario', 'pci-reset-staged']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pci-reset-staged\s+reset-calls-as-kernel\s+✓ holds\s+holds\s+148\s+828\s/);
  });
});
