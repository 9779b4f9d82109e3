/**
 * The scenario-file key of fault queues (issue 16, Deliver 1): a context's `faultHwpts: true` makes
 * every hwpt of the context fault-capable (page requests queued for the user, auto-responded when
 * the group leaves the hwpt); written back by toFile; a value that is not a boolean is exit 2 with
 * one located line.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/explore.ts';
import { buildModel } from '../../src/machines/model.ts';
import { currentVariant, findVariant } from '../../src/machines/variants/index.ts';
import { parseScenarioFile } from '../../src/scenarios/scenarioFile.ts';
import { scenarioToFile } from '../../src/scenarios/toFile.ts';
import { run } from '../helpers/cli.ts';
import { tempFiles } from '../helpers/variantFiles.ts';

const write = tempFiles('iommu-mc-fault-queue-');

const file = (faultHwpts: string) => `name: vmm-pri
devices:
  - name: accel
    drivers: [vfio-pci]
contexts:
  - name: vmm
    paths: [iommufd]
    hwpts: 2
    faultHwpts: ${faultHwpts}
`;

describe('a scenario file with fault-capable hwpts', () => {
  it('faultHwpts: true gives the devices a page-request state; the kernel rule holds, the replace of fb21b1568ada breaks FAULTQ', () => {
    const { scenario } = parseScenarioFile(file('true'), 'pri.yaml');
    expect(scenario.contexts[0]!.faultHwpts).toBe(true);
    expect(buildModel(scenario, currentVariant).init.devices[0]!.iopf_pending).toBeNull();
    expect(explore(buildModel(scenario, currentVariant)).violations).toEqual([]);
    expect(explore(buildModel(scenario, findVariant('fault-auto-response-new-hwpt')!)).violations.map((v) => v.invariant)).toEqual(['FAULTQ']);
  });

  it('is written back by toFile, and left out when false', () => {
    expect((scenarioToFile(parseScenarioFile(file('true'), 'pri.yaml').scenario).contexts as { faultHwpts?: boolean }[])[0]!.faultHwpts).toBe(true);
    const off = parseScenarioFile(file('false'), 'pri.yaml').scenario;
    expect(off.contexts[0]).not.toHaveProperty('faultHwpts');
    expect((scenarioToFile(off).contexts as object[])[0]).not.toHaveProperty('faultHwpts');
  });

  it('a faultHwpts that is not a boolean: exit 2, one line naming the file and the field', async () => {
    const r = await run(['check', '--scenario-file', write('pri.yaml', file('[0]'))]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^iommu-mc: .*pri\.yaml: contexts\[0\]\.faultHwpts: .*expected boolean/);
  });
});
