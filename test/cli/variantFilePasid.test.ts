/**
 * `iommu-mc check --variant-file` on the PASID + PRI calls (issue 15, step 6): a variant file can
 * override pci_enable_pri, iommu_page_response, iopf_queue_flush_dev and intel_drain_pasid_prq;
 * the example of docs/writing-variants.md, "unbind without draining page requests", breaks
 * PASID-REUSE on sva-pasid-reuse with its counterexample.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/cli.ts';
import { factoryVariant, tempFiles } from '../helpers/variantFiles.ts';

const write = tempFiles('iommu-mc-variant-pasid-');

const variantFile = (name: string, breaks: string, overrides: string) =>
  factoryVariant({ name, uses: 'defineVariant, ok, err, currentKernel', description: 'a PASID + PRI variant of a test', source: 'test/cli/variantFilePasid.test.ts', breaks, showcase: 'sva-pasid-reuse', overrides });

describe('check --variant-file: PASID + PRI calls', { timeout: 120_000 }, () => {
  it('unbind without draining page requests (docs/writing-variants.md): PASID-REUSE breaks, the trace shows the request handled in the new process\'s address space', async () => {
    const file = write('no-drain.ts', variantFile('my-unbind-without-prq-drain', "['PASID-REUSE']", '      intel_drain_pasid_prq: (_env, s) => ok(s),'));
    const r = await run(['check', '--variant-file', file, '--scenario', 'sva-pasid-reuse']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/sva-pasid-reuse\s+my-unbind-without-prq-drain\s+✓ violated PASID-REUSE/);
    expect(r.stdout).toMatch(/page_request\(03:00\.0, pasid=1\) = 0[\s\S]*iommu_sva_unbind_device\(03:00\.0\) = 0[\s\S]*iommu_sva_bind_device\(03:00\.0, mm=1\) = 0[\s\S]*iommu_page_response\(03:00\.0, pasid=1\) = 0/);
    expect(r.stdout).toContain("PASID-REUSE: 03:00.0's page request for PASID 1, queued under a binding that has since been unbound, is handled in sva:1 (process 1's address space)");
  });

  it('an iopf_queue_flush_dev that flushes nothing breaks PASID-REUSE the same way', async () => {
    const file = write('no-flush.ts', variantFile('iopf-flush-nothing', "['PASID-REUSE']", '      iopf_queue_flush_dev: (_env, s) => ok(s),'));
    const r = await run(['check', '--variant-file', file, '--scenario', 'sva-pasid-reuse']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/sva-pasid-reuse\s+iopf-flush-nothing\s+✓ violated PASID-REUSE/);
  });

  it('every new call can be overridden: as the kernel has them, the states they return pass the variant guard and the scenario holds with the same counts', async () => {
    const file = write(
      'all-calls.ts',
      variantFile(
        'pasid-calls-as-kernel',
        '[]',
        [
          '      iommu_sva_bind_device: (env, s, a) => currentKernel.iommu_sva_bind_device(env, s, a),',
          '      pci_enable_pri: (env, s, a) => currentKernel.pci_enable_pri(env, s, a),',
          '      iommu_page_response: (env, s, a) => currentKernel.iommu_page_response(env, s, a),',
          '      iopf_queue_flush_dev: (env, s, a) => currentKernel.iopf_queue_flush_dev(env, s, a),',
          '      intel_drain_pasid_prq: (env, s, a) => currentKernel.intel_drain_pasid_prq(env, s, a),',
        ].join('\n'),
      ),
    );
    const r = await run(['check', '--variant-file', file, '--scenario', 'sva-pasid-reuse']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/sva-pasid-reuse\s+pasid-calls-as-kernel\s+✓ holds\s+holds\s+40\s+128\s/);
  });

  it('pci_enable_pri refused: no page request is ever queued, holds', async () => {
    const file = write('no-pri.ts', variantFile('pri-refused', '[]', "      pci_enable_pri: () => err('EINVAL', 'no PRI in this proposal'),"));
    const r = await run(['check', '--variant-file', file, '--scenario', 'sva-pasid-reuse']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/sva-pasid-reuse\s+pri-refused\s+✓ holds/);
  });
});
