/**
 * `iommu-mc check --variant-file` on the interrupt calls (issue 16, Deliver 4): the example of
 * docs/writing-variants.md, "trust every platform's MSIs", breaks MSI on msi-no-remapping; a
 * type1 attach without the test lets the legacy path through; both calls as the kernel has them
 * hold with the built-in's counts.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/cli.ts';
import { factoryVariant, tempFiles } from '../helpers/variantFiles.ts';

const write = tempFiles('iommu-mc-variant-msi-');

const variantFile = (name: string, uses: string, breaks: string, overrides: string) =>
  factoryVariant({ name, uses, description: 'an interrupt variant of a test', source: 'test/cli/variantFileMsi.test.ts', breaks, showcase: 'msi-no-remapping', overrides });

describe('check --variant-file: interrupt calls', { timeout: 120_000 }, () => {
  it('iommu_group_has_isolated_msi always true (docs/writing-variants.md): MSI breaks in three calls through the cdev bind', async () => {
    const file = write('isolated-always.ts', variantFile('my-isolated-msi-always', 'defineVariant, ok', "['MSI']", '      iommu_group_has_isolated_msi: (_env, s) => ok(s),'));
    const r = await run(['check', '--variant-file', file, '--scenario', 'msi-no-remapping']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/msi-no-remapping\s+my-isolated-msi-always\s+✓ violated MSI/);
    expect(r.stdout).toMatch(/vfio_df_ioctl_bind_iommufd\(vmm, 01:00\.0\) = 0[\s\S]*msi_doorbell_write\(01:00\.0\) = 0/);
    expect(r.stdout).toContain('MSI: 01:00.0, controlled by vmm, writes the MSI doorbell without interrupt remapping');
  });

  it('a vfio_iommu_type1_attach_group without the isolated-MSI test: the legacy container path hands the device out', async () => {
    const file = write(
      'type1-no-test.ts',
      variantFile('my-type1-skips-msi-check', 'defineVariant, containerDomain', "['MSI']", '      vfio_iommu_type1_attach_group: (env, s, a) => env.k.iommu_attach_group(env, s, { group: a.group, domain: containerDomain(a.ctx) }),'),
    );
    const r = await run(['check', '--variant-file', file, '--scenario', 'msi-no-remapping']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/msi-no-remapping\s+my-type1-skips-msi-check\s+✓ violated MSI/);
    expect(r.stdout).toMatch(/vfio_ioctl_set_iommu\(vmm\) = 0[\s\S]*vfio_group_ioctl_get_device_fd\(vmm, 01:00\.0\) = 0[\s\S]*msi_doorbell_write\(01:00\.0\) = 0/);
  });

  it('both calls as the kernel has them: the scenario holds', async () => {
    const file = write(
      'as-kernel.ts',
      variantFile(
        'msi-calls-as-kernel',
        'defineVariant, currentKernel',
        '[]',
        [
          '      iommu_group_has_isolated_msi: (env, s, a) => currentKernel.iommu_group_has_isolated_msi(env, s, a),',
          '      vfio_iommu_type1_attach_group: (env, s, a) => currentKernel.vfio_iommu_type1_attach_group(env, s, a),',
        ].join('\n'),
      ),
    );
    const r = await run(['check', '--variant-file', file, '--scenario', 'msi-no-remapping', '--traces', 'none']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/msi-no-remapping\s+msi-calls-as-kernel\s+✓ holds\s+holds\s+9\s+18/);
  });
});
