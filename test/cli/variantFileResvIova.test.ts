/**
 * `iommu-mc check --variant-file` on the reserved-IOVA calls (issue 16, Deliver 3, helper G): the
 * example of docs/writing-variants.md, "map over a device's reserved region", breaks RESV on
 * resv-iova-user-map; the calls as the kernel has them pass the variant guard and hold.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/cli.ts';
import { factoryVariant, tempFiles } from '../helpers/variantFiles.ts';

const write = tempFiles('iommu-mc-variant-resv-iova-');

const variantFile = (name: string, breaks: string, overrides: string) =>
  factoryVariant({ name, uses: 'defineVariant, ok, currentKernel', description: 'a reserved-IOVA variant of a test', source: 'test/cli/variantFileResvIova.test.ts', breaks, showcase: 'resv-iova-user-map', overrides });

describe('check --variant-file: the reserved-IOVA calls', { timeout: 120_000 }, () => {
  it('vfio_iommu_iova_dma_valid accepting every IOVA (docs/writing-variants.md): type1 maps at the reserved IOVA, RESV breaks', async () => {
    const file = write('type1-maps-reserved.ts', variantFile('my-type1-maps-reserved-iova', "['RESV']", '      vfio_iommu_iova_dma_valid: (_env, s) => ok(s),'));
    const r = await run(['check', '--variant-file', file, '--scenario', 'resv-iova-user-map']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/resv-iova-user-map\s+my-type1-maps-reserved-iova\s+✓ violated RESV/);
    expect(r.stdout).toContain('RESV: IOVA page 0 is a reserved region of 01:00.1');
  });

  it('as the kernel has them, the overrides pass the variant guard and the scenario holds', async () => {
    const overrides = ['vfio_iommu_iova_dma_valid', 'iopt_check_iova', 'iopt_table_enforce_dev_resv_regions'].map((f) => `      ${f}: (env, s, a) => currentKernel.${f}(env, s, a),`).join('\n');
    const file = write('as-kernel.ts', variantFile('resv-iova-calls-as-kernel', '[]', overrides));
    const r = await run(['check', '--variant-file', file, '--scenario', 'resv-iova-user-map']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/resv-iova-user-map\s+resv-iova-calls-as-kernel\s+✓ holds/);
  });
});
