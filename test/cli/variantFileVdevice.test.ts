/**
 * `iommu-mc check --variant-file` on the vDEVICE calls (issue 16, Deliver 7): a variant file can
 * override iommufd_vdevice_alloc_ioctl and iommufd_viommu_find_dev; the example of
 * docs/writing-variants.md, "store before init", breaks VDEVICE on iommufd-vdevice.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/cli.ts';
import { factoryVariant, tempFiles } from '../helpers/variantFiles.ts';

const write = tempFiles('iommu-mc-variant-vdevice-');

const variantFile = (name: string, breaks: string, overrides: string) =>
  factoryVariant({ name, uses: 'defineVariant, ok, currentKernel, updateDevice', description: 'a vDEVICE variant of a test', source: 'test/cli/variantFileVdevice.test.ts', breaks, showcase: 'iommufd-vdevice', overrides });

describe('check --variant-file: vDEVICE calls', { timeout: 120_000 }, () => {
  it('an IOMMU_VDEVICE_ALLOC that stores the vDEVICE first (docs/writing-variants.md): a lookup returns it before vdevice_init, VDEVICE breaks', async () => {
    const file = write(
      'store-first.ts',
      variantFile(
        'my-vdevice-store-first',
        "['VDEVICE']",
        [
          '      iommufd_vdevice_alloc_ioctl: (env, s, a) =>',
          "        s.devices[a.dev]?.vdevice === 'none' && s.devices[a.dev]?.iommufd?.ctx === a.ctx",
          "          ? ok(updateDevice(s, a.dev, { vdevice: 'stored' }))",
          '          : currentKernel.iommufd_vdevice_alloc_ioctl(env, s, a),',
        ].join('\n'),
      ),
    );
    const r = await run(['check', '--variant-file', file, '--scenario', 'iommufd-vdevice']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/iommufd-vdevice\s+my-vdevice-store-first\s+✓ violated VDEVICE/);
    expect(r.stdout).toMatch(/iommufd_vdevice_alloc_ioctl\(vmm, 01:00\.0\) = 0[\s\S]*iommufd_viommu_find_dev\(vmm, 01:00\.0\) = 0/);
    expect(r.stdout).toContain("VDEVICE: iommufd_viommu_find_dev returned 01:00.0 from viommu->vdevs while its vDEVICE's vdevice_init had not run");
  });

  it('a vDEVICE phase the model does not know is refused by the variant guard: exit 2, one line', async () => {
    const file = write(
      'bad-phase.ts',
      variantFile('my-vdevice-bad-phase', '[]', "      iommufd_vdevice_alloc_ioctl: (_env, s, a) => ok(updateDevice(s, a.dev, { vdevice: 'half' as never })),"),
    );
    const r = await run(['check', '--variant-file', file, '--scenario', 'iommufd-vdevice']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bad-phase\.ts: overrides\.iommufd_vdevice_alloc_ioctl: returned ok\(\) with a state whose devices\[\d\]\.vdevice is "half"; expected "none", "initialized", "stored" or "live"$/m);
  });

  it('every new call can be overridden: as the kernel has them, the scenario holds with the same counts', async () => {
    const file = write(
      'all-calls.ts',
      variantFile(
        'vdevice-calls-as-kernel',
        '[]',
        [
          '      iommufd_vdevice_alloc_ioctl: (env, s, a) => currentKernel.iommufd_vdevice_alloc_ioctl(env, s, a),',
          '      iommufd_viommu_find_dev: (env, s, a) => currentKernel.iommufd_viommu_find_dev(env, s, a),',
        ].join('\n'),
      ),
    );
    const r = await run(['check', '--variant-file', file, '--scenario', 'iommufd-vdevice']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/iommufd-vdevice\s+vdevice-calls-as-kernel\s+✓ holds\s+holds\s+39 \(sym\)\s+190\s/);
  });
});
