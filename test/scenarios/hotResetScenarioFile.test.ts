/**
 * The scenario-file key of VFIO hot reset (issue 16, Deliver 2): a device's `hotReset: true` gives
 * every device the hot-reset state and its user VFIO_DEVICE_PCI_HOT_RESET; it is written back by
 * toFile; a value that is not a boolean, or a hotReset device without a VFIO driver, is exit 2
 * with one located line.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/explore.ts';
import { buildModel } from '../../src/machines/model.ts';
import { currentVariant, findVariant } from '../../src/machines/variants/index.ts';
import { parseScenarioFile } from '../../src/scenarios/scenarioFile.ts';
import { scenarioToFile } from '../../src/scenarios/toFile.ts';
import { run } from '../helpers/cli.ts';
import { tempFiles } from '../helpers/variantFiles.ts';

const write = tempFiles('iommu-mc-hot-reset-');

const file = (hotReset: string, drivers = '[vfio-pci]', ats = true) => `name: two-functions-one-bus
devices:
  - name: "01:00.0"
    drivers: ${drivers}${ats ? '\n    ats: true' : ''}
    hotReset: ${hotReset}
  - name: "01:00.1"
    drivers: [vfio-pci]
contexts:
  - name: vmm
    paths: [iommufd]
`;

describe('a scenario file with a hotReset device', () => {
  it('hotReset: true gives the hot-reset state; the bus reset of the ATS function breaks I20, staging the IOMMU holds', () => {
    const { scenario } = parseScenarioFile(file('true'), 'hot.yaml');
    expect(scenario.devices[0]!.hotReset).toBe(true);
    expect(buildModel(scenario, currentVariant).init.devices[1]).toMatchObject({ hot_reset: null, resetting: 0 });
    expect(explore(buildModel(scenario, currentVariant)).violations.map((v) => v.invariant)).toEqual(['I20']);
    expect(explore(buildModel(scenario, findVariant('hot-reset-stages-iommu')!)).violations).toEqual([]);
  });

  it('is written back by toFile, and left out when false', () => {
    expect((scenarioToFile(parseScenarioFile(file('true'), 'hot.yaml').scenario).devices as { hotReset?: boolean }[])[0]!.hotReset).toBe(true);
    const off = parseScenarioFile(file('false', '[vfio-pci]', false), 'hot.yaml').scenario;
    expect(off.devices[0]).not.toHaveProperty('hotReset');
    expect(buildModel(off, currentVariant).init.devices[0]).not.toHaveProperty('hot_reset');
  });

  it('hotReset that is not a boolean: exit 2, one located line', async () => {
    const path = write('hot-reset-yes.yaml', file('"yes"'));
    const r = await run(['check', '--scenario-file', path]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(/^iommu-mc: .*hot-reset-yes\.yaml: devices\[0\]\.hotReset: /);
  });

  it('a hotReset device without a VFIO driver: exit 2, one located line', async () => {
    const path = write('hot-reset-e1000e.yaml', file('true', '[e1000e]'));
    const r = await run(['check', '--scenario-file', path]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(/^iommu-mc: .*hot-reset-e1000e\.yaml: devices\[0\]\.hotReset: VFIO_DEVICE_PCI_HOT_RESET is issued on a device held through VFIO; expected a VFIO driver \(.*\) in "drivers" with it$/);
  });
});
