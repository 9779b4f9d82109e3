/**
 * The scenario-file key of vDEVICEs (issue 16, Deliver 7): a context's `viommu: true` gives its
 * bound devices vDEVICEs (IOMMU_VDEVICE_ALLOC) and the IOMMU driver's lookups; it is written back
 * by toFile; a value that is not a boolean is exit 2 with one located line.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/explore.ts';
import { buildModel } from '../../src/machines/model.ts';
import { currentVariant, findVariant } from '../../src/machines/variants/index.ts';
import { parseScenarioFile } from '../../src/scenarios/scenarioFile.ts';
import { scenarioToFile } from '../../src/scenarios/toFile.ts';
import { run } from '../helpers/cli.ts';
import { tempFiles } from '../helpers/variantFiles.ts';

const write = tempFiles('iommu-mc-vdevice-');

const file = (viommu: string) => `name: vmm-vdevice
devices:
  - name: nic
    drivers: [vfio-pci]
contexts:
  - name: vmm
    paths: [iommufd]
    viommu: ${viommu}
`;

describe('a scenario file with a vIOMMU', () => {
  it('viommu: true gives the devices a vDEVICE state; the kernel rule holds, the pre-fix order breaks VDEVICE', () => {
    const { scenario } = parseScenarioFile(file('true'), 'vdevice.yaml');
    expect(scenario.contexts[0]!.viommu).toBe(true);
    expect(buildModel(scenario, currentVariant).init.devices[0]!.vdevice).toBe('none');
    expect(explore(buildModel(scenario, currentVariant)).violations).toEqual([]);
    expect(explore(buildModel(scenario, findVariant('vdevice-published-before-init')!)).violations.map((v) => v.invariant)).toEqual(['VDEVICE']);
  });

  it('is written back by toFile, and left out when false', () => {
    expect((scenarioToFile(parseScenarioFile(file('true'), 'vdevice.yaml').scenario).contexts as { viommu?: boolean }[])[0]!.viommu).toBe(true);
    const off = parseScenarioFile(file('false'), 'vdevice.yaml').scenario;
    expect(off.contexts[0]).not.toHaveProperty('viommu');
    expect((scenarioToFile(off).contexts as object[])[0]).not.toHaveProperty('viommu');
  });

  it('a viommu that is not a boolean: exit 2, one line naming the file and the field', async () => {
    const path = write('vdevice.yaml', file('sometimes'));
    const r = await run(['check', '--scenario-file', path]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^iommu-mc: .*vdevice\.yaml: contexts\[0\]\.viommu: .*expected boolean/);
  });
});
