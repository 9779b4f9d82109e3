/**
 * `iommu-mc check --variant-file` on the BAR-access calls (issue 16, Deliver 6): every new call of
 * the rule table can be overridden by a variant file; the example of docs/writing-variants.md,
 * "a command-register write that does not zap", breaks BAR on vfio-bar-mmap.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Kernel } from '../../src/machines/semantics/index.ts';
import { findScenario } from '../../src/scenarios/builtin.ts';
import { run } from '../helpers/cli.ts';
import { expectOverridable } from '../helpers/overridable.ts';
import { factoryVariant, tempFiles, VARIANT_API } from '../helpers/variantFiles.ts';

/** The BAR example of docs/writing-variants.md as a user copies it (with the type import pointed at this clone). */
const PAGE = readFileSync(join(import.meta.dirname, '../../docs/writing-variants.md'), 'utf8');
const DOC_EXAMPLE = [...PAGE.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!).find((t) => t.includes("name: 'my-config-write-without-zap'"));

const write = tempFiles('iommu-mc-variant-bar-');

const variantFile = (name: string, breaks: string, overrides: string) =>
  factoryVariant({ name, uses: 'defineVariant, ok, currentKernel, updateDevice', description: 'a BAR-access variant of a test', source: 'test/cli/variantFileBar.test.ts', breaks, showcase: 'vfio-bar-mmap', overrides });

const CALLS: (keyof Kernel)[] = [
  '__vfio_pci_memory_enabled',
  'vfio_pci_zap_bars',
  'vfio_pci_zap_and_down_write_memory_lock',
  'vfio_pci_mmap_huge_fault',
  'vfio_basic_config_write',
  'vfio_pci_core_iowrite',
  'vfio_pci_ioctl_reset',
  'pci_dev_restore',
];

const DMABUF_CALLS: (keyof Kernel)[] = ['vfio_pci_core_feature_dma_buf', 'vfio_pci_dma_buf_move'];

describe('the BAR-access calls are members of the rule table', { timeout: 120_000 }, () => {
  it.each(CALLS)('%s can be overridden, and the override is reached on vfio-bar-mmap', (name) => {
    expectOverridable(name, findScenario('vfio-bar-mmap')!);
  });

  it.each(DMABUF_CALLS)('%s (DMABUF export) can be overridden, and the override is reached on vfio-bar-dmabuf', (name) => {
    expectOverridable(name, findScenario('vfio-bar-dmabuf')!);
  });
});

describe('check --variant-file: BAR-access calls', { timeout: 120_000 }, () => {
  it('a PCI_COMMAND write that clears decode without the zap (docs/writing-variants.md): BAR breaks at the next load or store', async () => {
    expect(DOC_EXAMPLE, 'the BAR example of docs/writing-variants.md is gone').toBeDefined();
    const file = write('config-write-without-zap.ts', `import type { VariantApi } from ${JSON.stringify(VARIANT_API)};\n${DOC_EXAMPLE!}`);
    const r = await run(['check', '--variant-file', file, '--scenario', 'vfio-bar-mmap']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/vfio-bar-mmap\s+my-config-write-without-zap\s+✓ violated BAR/);
    expect(r.stdout).toMatch(/vfio_pci_mmap_huge_fault\(vmm, 05:00\.0\) = 0[\s\S]*vfio_basic_config_write\(vmm, 05:00\.0, memory=0\) = 0[\s\S]*user_bar_access\(vmm, 05:00\.0\) = 0/);
    expect(r.stdout).toContain("BAR: the user's load/store through its BAR mmap reaches 05:00.0's BAR with memory decode off");
  });

  it('a vfio_pci_dma_buf_move that revokes nothing: BAR breaks at the peer\'s DMA through the IOMMU', async () => {
    const file = write('no-revoke.ts', variantFile('my-dma-buf-never-revoked', "['BAR']", '      vfio_pci_dma_buf_move: (_env, s) => ok(s),').replace("showcase: 'vfio-bar-mmap'", "showcase: 'vfio-bar-dmabuf'"));
    const r = await run(['check', '--variant-file', file, '--scenario', 'vfio-bar-dmabuf']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/vfio-bar-dmabuf\s+my-dma-buf-never-revoked\s+✓ violated BAR/);
    expect(r.stdout).toContain("BAR: 08:00.0's DMA through the IOMMU to the IOAS mapping of the exported BAR reaches 07:00.0's BAR");
  });

  it('every new call as the kernel has it: the states pass the variant guard and the scenario holds with the built-in counts', async () => {
    const file = write('all-calls.ts', variantFile('bar-calls-as-kernel', '[]', CALLS.map((n) => `      ${n}: (env, s, a) => currentKernel.${n}(env, s, a),`).join('\n')));
    const r = await run(['check', '--variant-file', file, '--scenario', 'vfio-bar-mmap']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/vfio-bar-mmap\s+bar-calls-as-kernel\s+✓ holds\s+holds\s+30\s+99\s/);
  });

  it('the same with the DMABUF calls on vfio-bar-dmabuf: every dma_buf state passes the variant guard, same counts', async () => {
    const all = [...CALLS, ...DMABUF_CALLS];
    const file = write('all-dmabuf-calls.ts', variantFile('bar-dmabuf-calls-as-kernel', '[]', all.map((n) => `      ${n}: (env, s, a) => currentKernel.${n}(env, s, a),`).join('\n')));
    const r = await run(['check', '--variant-file', file, '--scenario', 'vfio-bar-dmabuf']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/vfio-bar-dmabuf\s+bar-dmabuf-calls-as-kernel\s+✓ holds\s+holds\s+116\s+684\s/);
  });
});
