/**
 * `iommu-mc check --variant-file`: a user's variant in a TypeScript file in a temporary directory,
 * run through the CLI's main() in-process (test/helpers/cli.ts `run`).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/cli.ts';
import { BUILTIN_SCENARIOS } from '../../src/scenarios/builtin.ts';

const API = join(import.meta.dirname, '../../src/variantApi.ts');


const dir = mkdtempSync(join(tmpdir(), 'iommu-mc-variant-'));
const write = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

/** The worked example of docs/writing-variants.md, in the factory form (no import path needed). */
const proposal = (breaks: string) => `import type { VariantApi } from ${JSON.stringify(API)};

export default ({ defineVariant, currentKernel, ok, updateGroup, groupOf }: VariantApi) =>
  defineVariant({
    name: 'use-default-domain-when-owned',
    kind: 'proposed',
    description: 'iommu_device_use_default_domain also succeeds when the owner is set.',
    source: 'docs/writing-variants.md',
    breaks: ${breaks},
    showcase: 'pci-stub-neighbour',
    overrides: {
      iommu_device_use_default_domain(env, s, a) {
        const gi = groupOf(env.scenario, a.dev);
        const g = s.groups[gi];
        if (g.default_domain && g.owner !== null) return ok(updateGroup(s, gi, { owner_cnt: g.owner_cnt + 1 }));
        return currentKernel.iommu_device_use_default_domain(env, s, a);
      },
    },
  });
`;

const oneLine = (r: { stderr: string }) => expect(r.stderr.trim().split('\n')).toHaveLength(1);

describe('check --variant-file', { timeout: 120_000 }, () => {
  it('checks a variant written in a temporary directory and prints its expected counterexample', async () => {
    const file = write('proposal.ts', proposal(`['WARN', 'I1', 'I3', 'I4', 'P2P']`));
    const r = await run(['check', '--variant-file', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pci-stub-neighbour\s+use-default-domain-when-owned\s+✓ violated I1,I3,I4,P2P/);
    // The showcase scenario's I1 counterexample, in kernel calls.
    expect(r.stdout).toContain(`── use-default-domain-when-owned breaks I1 in pci-stub-neighbour (expected; variant file ${file}) ──`);
    expect(r.stdout).toMatch(/vfio_group_ioctl_set_container\(qemu-legacy\) = 0[\s\S]*really_probe\(01:00\.1, driver=e1000e\) = 0[\s\S]*✗ I1: group owned by vfio_group while 01:00\.1 is bound to DMA-API driver e1000e/);
    // One check per built-in scenario, all as expected (the count grows with the suite).
    expect(r.stdout).toMatch(new RegExp(`${BUILTIN_SCENARIOS.length} checks: ${BUILTIN_SCENARIOS.length} as expected`));
  });

  it('the import form and `export const variant` work too; --json reports the verdicts', async () => {
    const file = write(
      'named.ts',
      `import { defineVariant, currentKernel, ok, updateGroup, groupOf } from ${JSON.stringify(API)};
export const variant = defineVariant({
  name: 'named-export', kind: 'proposed', description: 'd', source: 's', breaks: ['WARN', 'I1', 'I3', 'I4', 'P2P'],
  overrides: {
    iommu_device_use_default_domain(env, s, a) {
      const gi = groupOf(env.scenario, a.dev);
      if (s.groups[gi]!.owner !== null) return ok(updateGroup(s, gi, { owner_cnt: s.groups[gi]!.owner_cnt + 1 }));
      return currentKernel.iommu_device_use_default_domain(env, s, a);
    },
  },
});
`,
    );
    const r = await run(['check', '--json', '--variant-file', file, '--scenario', 'pci-stub-neighbour', '--scenario', 'probe-failure']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.results.map((x: { variant: string }) => x.variant)).toEqual(['named-export', 'named-export']);
    expect(j.results[0]).toMatchObject({ scenario: 'pci-stub-neighbour', status: 'violated', matchesExpectation: true, expectationSource: 'variant-file' });
    expect(j.results[0].violations.map((v: { invariant: string }) => v.invariant)).toEqual(['I1', 'I3', 'I4', 'P2P']);
  });

  it('an invariant broken but not listed in breaks is a mismatch (exit 1)', async () => {
    const r = await run(['check', '--variant-file', write('partial.ts', proposal(`['I1']`)), '--scenario', 'pci-stub-neighbour']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/breaks I3 in pci-stub-neighbour \(UNEXPECTED; also breaks I4: --traces all prints each\)/);
    expect(r.stdout).toContain('pci-stub-neighbour × use-default-domain-when-owned: found violated I1,I3,I4,P2P, expected violated I1,P2P');
  });

  it('an invariant listed in breaks that never breaks is a mismatch (exit 1); empty breaks means "holds where current holds"', async () => {
    const extra = await run(['check', '--variant-file', write('extra.ts', proposal(`['WARN', 'I1', 'I3', 'I4', 'P2P', 'I12']`))]);
    expect(extra.code).toBe(1);
    expect(extra.stdout).toMatch(/pci-stub-neighbour\s+use-default-domain-when-owned\s+✗ violated I1,I3,I4,P2P\s+violated I1,I3,I4,P2P,I12/);
    const same = write(
      'same.ts',
      `export default (api: any) => api.defineVariant({ name: 'same-rules', kind: 'proposed', description: 'd', source: 's', breaks: [],
  overrides: { iommu_device_use_default_domain: (env: any, s: any, a: any) => api.currentKernel.iommu_device_use_default_domain(env, s, a) } });
`,
    );
    // The known weaknesses of today's kernel (private-domain-hot-add, kernel-attach-group-shared) are inherited, not held against it.
    const r = await run(['check', '--variant-file', same]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/private-domain-hot-add\s+same-rules\s+✓ violated WARN,I5,I17/);
  });

  it('group-level and container-level calls take the group and context: a vfio_group_detach_container that releases the container backend for any group breaks I17 and I19 in the other group', async () => {
    const file = write(
      'container.ts',
      `export default ({ defineVariant, currentKernel, ok, updateContainer }: any) => defineVariant({
  name: 'release-on-any-detach', kind: 'proposed', description: 'd', source: 's', breaks: ['I17', 'I19'], showcase: 'vfio-container-two-groups',
  overrides: {
    vfio_group_detach_container(env: any, s: any, { group }: any) {
      const ctx = s.vfio_groups[group].opened_by;
      const r = currentKernel.vfio_group_detach_container(env, s, { group });
      return r.ok && ctx !== null ? ok(updateContainer(r.next, ctx, { iommu_set: false })) : r;
    },
    iommu_group_claim_dma_owner: (env: any, s: any, a: any) => currentKernel.iommu_group_claim_dma_owner(env, s, { group: a.group, owner: a.owner }),
  },
});
`,
    );
    const r = await run(['check', '--variant-file', file, '--scenario', 'vfio-container-two-groups', '--scenario', 'vfio-vs-dma-api']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/vfio-container-two-groups\s+release-on-any-detach\s+✓ violated I17,I19/);
    expect(r.stdout).toMatch(/✗ I17: group->domain in group 5 is container:0, which was freed/);
    expect(r.stdout).toMatch(/vfio-vs-dma-api\s+release-on-any-detach\s+✓ holds/);
  });

  it('the SR-IOV calls take the PF: a pci_disable_sriov that drops the VFs without releasing their drivers breaks TypeOK where the VM holds a VF', async () => {
    const file = write(
      'sriov.ts',
      `export default ({ defineVariant, ok, updateDevice, groupOf, withGroupDevice }: any) => defineVariant({
  name: 'sriov-drop', kind: 'proposed', description: 'd', source: 's', breaks: ['TypeOK', 'I2', 'I3', 'I9', 'I10'],
  overrides: {
    pci_disable_sriov(env: any, s: any, { dev }: any) {
      let cur = s;
      env.scenario.devices.forEach((d: any, vf: number) => {
        if (d.pf === dev && cur.devices[vf].present) cur = withGroupDevice(updateDevice(cur, vf, { present: false, driver: null, hw: null }), groupOf(env.scenario, vf), vf, false);
      });
      return ok(cur);
    },
  },
});
`,
    );
    const r = await run(['check', '--variant-file', file, '--scenario', 'sriov-vf-to-vm-acs']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/sriov-vf-to-vm-acs\s+sriov-drop\s+✓ violated TypeOK,I2,I3,I9,I10/);
    expect(r.code).toBe(0);
  });

  it('the translation path: a __iommu_dma_unmap that returns without iommu_iotlb_sync breaks STALE on the strict DMA-API scenario, with the counterexample', async () => {
    const file = write(
      'no-iotlb-sync.ts',
      `import type { VariantApi } from ${JSON.stringify(API)};

export default ({ defineVariant, ok, groupOf, translationOf, withTranslation }: VariantApi) =>
  defineVariant({
    name: 'my-dma-unmap-without-iotlb-sync',
    kind: 'proposed',
    description: '__iommu_dma_unmap clears the PTE and frees the IOVA without iommu_iotlb_sync.',
    source: 'docs/writing-variants.md',
    breaks: ['STALE'],
    overrides: {
      __iommu_dma_unmap(env, s, { dev, iova }) {
        const g = groupOf(env.scenario, dev);
        const t = translationOf(s, g)!;
        const ptes = t.pagetable.ptes.map((p, i) => (i === iova ? null : p));
        return ok(withTranslation(s, g, { ...t, pagetable: { ...t.pagetable, ptes } }));
      },
    },
  });
`,
    );
    const r = await run(['check', '--variant-file', file, '--scenario', 'dma-api-unmap-strict']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/dma-api-unmap-strict\s+my-dma-unmap-without-iotlb-sync\s+✓ violated STALE/);
    expect(r.stdout).toMatch(/dma_map_page\(03:00\.0\) = 0[\s\S]*dma_unmap_page\(03:00\.0, iova=0\) = 0[\s\S]*page allocator +page_reuse\(page=0\) = 0[\s\S]*✗ STALE: 03:00\.0's DMA to IOVA page 0 reaches physical page 0, now reused by another owner, through a stale IOTLB entry/);
  });

  it('ATS: the two examples of docs/writing-variants.md, "give ATS to untrusted devices" and "invalidate the ATC before the IOTLB", break ATS-TRUST and INV-ORDER', async () => {
    const untrusted = write(
      'ats-untrusted.ts',
      `import type { VariantApi } from ${JSON.stringify(API)};

export default ({ defineVariant, ok, currentKernel }: VariantApi) =>
  defineVariant({
    name: 'my-ats-for-untrusted',
    kind: 'historical',
    description: 'pci_ats_supported checks only the ATS capability: an untrusted device gets ATS.',
    source: 'drivers/pci/ats.c before pci_ats_supported',
    breaks: ['ATS-TRUST'],
    showcase: 'ats-untrusted',
    overrides: {
      pci_ats_supported: (env, s, { dev }) => (env.scenario.devices[dev]?.ats ? ok(s) : currentKernel.pci_ats_supported(env, s, { dev })),
    },
  });
`,
    );
    const r1 = await run(['check', '--variant-file', untrusted, '--scenario', 'ats-untrusted']);
    expect(r1.stderr).toBe('');
    expect(r1.code).toBe(0);
    expect(r1.stdout).toMatch(/ats-untrusted\s+my-ats-for-untrusted\s+✓ violated ATS-TRUST/);
    expect(r1.stdout).toContain('untrusted 03:00.0 has ATS enabled');
    const atcFirst = write(
      'atc-first.ts',
      `import type { VariantApi } from ${JSON.stringify(API)};

export default ({ defineVariant, currentKernel }: VariantApi) =>
  defineVariant({
    name: 'my-atc-before-iotlb',
    kind: 'proposed',
    description: "The IOMMU driver's iotlb_sync invalidates the device's ATC first and the IOTLB after it.",
    source: 'my proposal',
    breaks: ['INV-ORDER', 'STALE'],
    showcase: 'ats-invalidation-order',
    overrides: {
      iommu_iotlb_sync: (env, s, a) => currentKernel.iommu_flush_dev_iotlb(env, s, a),
      iommu_flush_dev_iotlb: (env, s, a) => currentKernel.iommu_iotlb_sync(env, s, a),
    },
  });
`,
    );
    const r2 = await run(['check', '--variant-file', atcFirst, '--scenario', 'ats-invalidation-order']);
    expect(r2.stderr).toBe('');
    expect(r2.code).toBe(0);
    expect(r2.stdout).toMatch(/ats-invalidation-order\s+my-atc-before-iotlb\s+✓ violated STALE,INV-ORDER/);
    expect(r2.stdout).toContain("03:00.0's ATC still maps IOVA page 0 to physical page 0 after iommu_flush_dev_iotlb completed its invalidation");
  });

  it('user mappings: the example of docs/writing-variants.md, "unpin before the IOTLB sync" in vfio_sync_unpin and iopt_area_unpin_domain, breaks STALE on vfio-type1-unmap and iommufd-ioas-unmap', async () => {
    // The example as a user copies it from the page (only the `import type` path pointed at this clone).
    const page = readFileSync(join(import.meta.dirname, '../../docs/writing-variants.md'), 'utf8');
    const example = [...page.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!).find((t) => t.includes("name: 'my-unpin-before-iotlb-sync'"));
    expect(example, 'docs/writing-variants.md: the "unpin before the IOTLB sync" example is gone').toBeDefined();
    const file = write('unpin-first.ts', example!.replace("'/path/to/iommu-mc/src/variantApi.ts'", JSON.stringify(API)));
    const r = await run(['check', '--variant-file', file, '--scenario', 'vfio-type1-unmap', '--scenario', 'iommufd-ioas-unmap', '--traces', 'all']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/vfio-type1-unmap\s+my-unpin-before-iotlb-sync\s+✓ violated STALE/);
    expect(r.stdout).toMatch(/iommufd-ioas-unmap\s+my-unpin-before-iotlb-sync\s+✓ violated STALE/);
    expect(r.stdout).toMatch(/vfio_dma_do_map\(qemu-legacy, iova=0\) = 0[\s\S]*vfio_dma_do_unmap\(qemu-legacy, iova=0\) = 0[\s\S]*vfio_sync_unpin\(qemu-legacy\) = 0[\s\S]*pages\[0\] pinned \(ctx 0\)→free[\s\S]*page_reuse\(page=0\) = 0/);
    expect(r.stdout).toContain("through a stale IOTLB entry: the page was unpinned by the user's unmap of container:0 and allocated again");
    expect(r.stdout).toContain("through a stale IOTLB entry: the page was unpinned by the user's unmap of hwpt:0.0 and allocated again");
  });

  it('a missing file: exit 2, one line naming it', async () => {
    const r = await run(['check', '--variant-file', join(dir, 'nope.ts')]);
    expect(r.code).toBe(2);
    oneLine(r);
    expect(r.stderr).toContain(`${join(dir, 'nope.ts')}: cannot read the file (no such file)`);
  });

  it('a syntax error: exit 2, one line with the position', async () => {
    const file = write('syntax.ts', `export default { name: 'x',\n  description: 'd' source: 's' };\n`);
    const r = await run(['check', '--variant-file', file]);
    expect(r.code).toBe(2);
    oneLine(r);
    expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot load the file: syntax error at line 2, column \\d+: Expected`));
  });

  it.each([
    ['a type error in a field (breaks as a string)', `breaks: 'I1', overrides: {}`, /: breaks: expected an array of invariant ids/],
    ['an unknown invariant', `breaks: ['I99'], overrides: {}`, /: breaks\[0\]: expected an invariant id: one of TypeOK, WARN, I1,/],
    ['a misspelt kernel function', `breaks: [], overrides: { iommu_device_use_defualt_domain() {} }`, /: overrides\.iommu_device_use_defualt_domain: not a function of the kernel rule table .*did you mean iommu_device_use_default_domain\?/],
    ['an override that is not a function', `breaks: [], overrides: { really_probe: 3 }`, /: overrides\.really_probe: expected a function \(env, s, args\) => KernelResult, got number/],
    ['a misspelt field', `breaks: [], overides: {}`, /: overides: unknown field; expected only name, description, source, kind, breaks, showcase, overrides/],
  ])('a shape error (%s): exit 2, one line naming the file and the field', async (_what, fields, msg) => {
    const file = write(`shape-${Math.random().toString(36).slice(2)}.ts`, `export default { name: 'shape-test', description: 'd', source: 's', kind: 'proposed', ${fields} };\n`);
    const r = await run(['check', '--variant-file', file, '--scenario', 'vfio-vs-dma-api']);
    expect(r.code).toBe(2);
    oneLine(r);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(msg);
  });

  it('an override with the wrong return type (tsx does not type-check) is caught when it runs: exit 2', async () => {
    const file = write('returns-state.ts', `export default { name: 'returns-state', description: 'd', source: 's', kind: 'proposed', breaks: [],
  overrides: { really_probe: (_env: unknown, s: unknown) => s } };\n`);
    const r = await run(['check', '--variant-file', file, '--scenario', 'vfio-vs-dma-api']);
    expect(r.code).toBe(2);
    oneLine(r);
    expect(r.stderr).toContain(`${file}: overrides.really_probe: returned an object without a boolean "ok"; expected ok(next), err(errno, reason) or errAfter(errno, reason, after)`);
  });

  it('a built-in name or no export: exit 2', async () => {
    const builtin = await run(['check', '--variant-file', write('builtin.ts', `export default { name: 'current', description: 'd', source: 's', kind: 'proposed', breaks: [], overrides: {} };\n`)]);
    expect(builtin.code).toBe(2);
    expect(builtin.stderr).toMatch(/name: "current" is a built-in variant/);
    const none = await run(['check', '--variant-file', write('none.ts', `export const x = 1;\n`)]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no variant exported; expected `export default defineVariant/);
  });
});
