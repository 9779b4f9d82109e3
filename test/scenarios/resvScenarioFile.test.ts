/**
 * The scenario-file keys of reserved regions (issue 16, Deliver 3): `requireDirect` (an
 * IOMMU_RESV_DIRECT region: require_direct) and `directRelaxable` (an IOMMU_RESV_DIRECT_RELAXABLE
 * region only); they are written back by toFile; a value that is not a boolean is exit 2 with
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

const write = tempFiles('iommu-mc-resv-');

const file = (relaxable: string) => `name: bmc-nic
devices:
  - name: nic
    drivers: [vfio-pci]
    requireDirect: true
  - name: usb
    drivers: [vfio-pci]
    directRelaxable: ${relaxable}
contexts:
  - name: vmm
    paths: [vfio-group]
`;

describe('a scenario file with reserved regions', () => {
  it('requireDirect and directRelaxable: the kernel refuses the claim and I11 holds; without the refusal I11 breaks', () => {
    const { scenario } = parseScenarioFile(file('true'), 'resv.yaml');
    expect(scenario.devices.map((d) => [d.requireDirect, d.directRelaxable])).toEqual([[true, undefined], [false, true]]);
    expect(explore(buildModel(scenario, currentVariant)).violations).toEqual([]);
    expect(explore(buildModel(scenario, findVariant('require-direct-not-refused')!)).violations.map((v) => v.invariant)).toEqual(['I11']);
  });

  it('is written back by toFile, and directRelaxable is left out when false', () => {
    const devices = scenarioToFile(parseScenarioFile(file('true'), 'resv.yaml').scenario).devices as { requireDirect: boolean; directRelaxable?: boolean }[];
    expect(devices.map((d) => [d.requireDirect, d.directRelaxable])).toEqual([[true, undefined], [false, true]]);
    const off = parseScenarioFile(file('false'), 'resv.yaml').scenario;
    expect(off.devices[1]).not.toHaveProperty('directRelaxable');
  });

  it('a directRelaxable that is not a boolean: exit 2, one line naming the file and the field', async () => {
    const path = write('resv.yaml', file('sometimes'));
    const r = await run(['check', '--scenario-file', path]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^iommu-mc: .*resv\.yaml: devices\[1\]\.directRelaxable: .*expected boolean/);
  });
});
