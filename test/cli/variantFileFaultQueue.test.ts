/**
 * `iommu-mc check --variant-file` on the fault-queue calls (issue 16, Deliver 1): the example of
 * docs/writing-variants.md, "auto-respond the new hwpt on replace", breaks FAULTQ on
 * iommufd-fault-replace; the calls as the kernel has them hold with the built-in's counts.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/cli.ts';
import { factoryVariant, tempFiles } from '../helpers/variantFiles.ts';

const write = tempFiles('iommu-mc-variant-fault-queue-');

const variantFile = (name: string, breaks: string, overrides: string) =>
  factoryVariant({ name, uses: 'defineVariant, currentKernel, hwptDomain', description: 'a fault-queue variant of a test', source: 'test/cli/variantFileFaultQueue.test.ts', breaks, showcase: 'iommufd-fault-replace', overrides });

describe('check --variant-file: fault-queue calls', { timeout: 120_000 }, () => {
  it('a replace that auto-responds the new hwpt (docs/writing-variants.md): the old hwpt keeps the request, FAULTQ breaks', async () => {
    const file = write(
      'new-hwpt.ts',
      variantFile(
        'my-auto-response-new-hwpt',
        "['FAULTQ']",
        [
          '      iommufd_hwpt_replace_device: (env, s, a) => {',
          '        const r = env.k.iommu_replace_group_handle(env, s, { group: a.group, domain: hwptDomain(a.ctx, a.hwpt) });',
          '        return r.ok ? env.k.iommufd_auto_response_faults(env, r.next, { ctx: a.ctx, group: a.group, hwpt: a.hwpt }) : r;',
          '      },',
        ].join('\n'),
      ),
    );
    const r = await run(['check', '--variant-file', file, '--scenario', 'iommufd-fault-replace']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/iommufd-fault-replace\s+my-auto-response-new-hwpt\s+✓ violated FAULTQ/);
    expect(r.stdout).toMatch(/iommufd_fault_iopf_handler\(01:00\.0\) = 0[\s\S]*vfio_df_ioctl_attach_pt\(vmm, 01:00\.0, hwpt=1\) = 0/);
    expect(r.stdout).toContain('FAULTQ: a page request of 01:00.0 is still pending in the fault queue of hwpt:0.0, but its group is on hwpt:0.1');
  });

  it('every new call can be overridden: as the kernel has them, the scenario holds with the same counts', async () => {
    const names = ['iommufd_fault_iopf_handler', 'iommufd_fault_fops_write', 'iommufd_auto_response_faults', 'iommufd_hwpt_replace_device', 'iommufd_hwpt_detach_device'];
    const file = write('all-calls.ts', variantFile('fault-calls-as-kernel', '[]', names.map((n) => `      ${n}: (env, s, a) => currentKernel.${n}(env, s, a),`).join('\n')));
    const r = await run(['check', '--variant-file', file, '--scenario', 'iommufd-fault-replace']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/iommufd-fault-replace\s+fault-calls-as-kernel\s+✓ holds\s+holds\s+9\s+25\s/);
  });
});
