/**
 * `iommu-mc check --variant-file` on the cache-coherency calls (issue 16, Deliver 5): the example
 * of docs/writing-variants.md, "attach without asking for snoop control", breaks SNOOP on
 * coherency-no-snoop; the three calls as the kernel has them hold.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/cli.ts';
import { factoryVariant, tempFiles } from '../helpers/variantFiles.ts';

const write = tempFiles('iommu-mc-variant-coherency-');

const variantFile = (name: string, uses: string, breaks: string, overrides: string) =>
  factoryVariant({ name, uses, description: 'a cache-coherency variant of a test', source: 'test/cli/variantFileCoherency.test.ts', breaks, showcase: 'coherency-no-snoop', overrides });

describe('check --variant-file: cache-coherency calls', { timeout: 120_000 }, () => {
  it('paging_domain_compatible that accepts every device (docs/writing-variants.md): SNOOP breaks in seven calls', async () => {
    const file = write('attach-ignores-snoop-control.ts', variantFile('my-attach-ignores-snoop-control', 'defineVariant, ok', "['SNOOP']", '      paging_domain_compatible: (_env, s) => ok(s),'));
    const r = await run(['check', '--variant-file', file, '--scenario', 'coherency-no-snoop']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/coherency-no-snoop\s+my-attach-ignores-snoop-control\s+✓ violated SNOOP/);
    expect(r.stdout).toMatch(/vfio_df_ioctl_attach_pt\(vmm, 03:00\.0, hwpt=0\) = 0[\s\S]*vfio_df_ioctl_attach_pt\(vmm, 04:00\.0, hwpt=0\) = 0[\s\S]*dma_no_snoop\(04:00\.0\) = 0/);
    expect(r.stdout).toContain('SNOOP: 04:00.0 read memory with a no-snoop request on a user domain that claims enforce_cache_coherency');
  });

  it('the three calls as the kernel has them: the scenario holds', async () => {
    const file = write(
      'as-kernel.ts',
      variantFile(
        'coherency-calls-as-kernel',
        'defineVariant, currentKernel',
        '[]',
        [
          '      iommu_enforce_cache_coherency: (env, s, a) => currentKernel.iommu_enforce_cache_coherency(env, s, a),',
          '      iommufd_hwpt_paging_enforce_cc: (env, s, a) => currentKernel.iommufd_hwpt_paging_enforce_cc(env, s, a),',
          '      paging_domain_compatible: (env, s, a) => currentKernel.paging_domain_compatible(env, s, a),',
        ].join('\n'),
      ),
    );
    const r = await run(['check', '--variant-file', file, '--scenario', 'coherency-no-snoop']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/coherency-no-snoop\s+coherency-calls-as-kernel\s+✓ holds/);
  });
});
