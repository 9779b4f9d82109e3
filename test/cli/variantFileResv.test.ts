/**
 * `iommu-mc check --variant-file` on the reserved-region call (issue 16, Deliver 3): a variant
 * file can override __iommu_device_set_domain; the example of docs/writing-variants.md, "the
 * require_direct refusal dropped", breaks I11 on resv-direct-vfio-claim.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/cli.ts';
import { factoryVariant, tempFiles } from '../helpers/variantFiles.ts';

const write = tempFiles('iommu-mc-variant-resv-');

const variantFile = (name: string, breaks: string, overrides: string) =>
  factoryVariant({ name, uses: 'defineVariant, ok, currentKernel, updateDevice', description: 'a reserved-region variant of a test', source: 'test/cli/variantFileResv.test.ts', breaks, showcase: 'resv-direct-vfio-claim', overrides });

describe('check --variant-file: the reserved-region call', { timeout: 120_000 }, () => {
  it('__iommu_device_set_domain without the require_direct check (docs/writing-variants.md): the NIC lands on the blocking domain, I11 breaks', async () => {
    const file = write('no-refusal.ts', variantFile('my-require-direct-not-refused', "['I11']", '      __iommu_device_set_domain: (_env, s, a) => ok(updateDevice(s, a.dev, { hw: a.domain })),'));
    const r = await run(['check', '--variant-file', file, '--scenario', 'resv-direct-vfio-claim']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/resv-direct-vfio-claim\s+my-require-direct-not-refused\s+✓ violated I11/);
    expect(r.stdout).toContain('I11: 03:00.0 has IOMMU_RESV_DIRECT regions (require_direct) but its requester ID is on blocking');
  });

  it('as the kernel has it, the override passes the variant guard and the scenario holds', async () => {
    const file = write('as-kernel.ts', variantFile('resv-call-as-kernel', '[]', '      __iommu_device_set_domain: (env, s, a) => currentKernel.__iommu_device_set_domain(env, s, a),'));
    const r = await run(['check', '--variant-file', file, '--scenario', 'resv-direct-vfio-claim']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/resv-direct-vfio-claim\s+resv-call-as-kernel\s+✓ holds/);
  });
});
