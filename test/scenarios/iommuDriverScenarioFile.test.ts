/**
 * The scenario-file key `platform: iommuDriver` (issue 15, "cite the driver behind every rule"):
 * intel (default), arm-smmu-v3 or amd; it is written back by toFile, changes no state count, and a
 * bad value is exit 2 with one line naming the file and the field.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/explore.ts';
import { buildModel } from '../../src/machines/model.ts';
import { iommuDriverOf, platformOf, PLATFORM_DEFAULTS } from '../../src/machines/platform.ts';
import { currentVariant } from '../../src/machines/variants/index.ts';
import { parseScenarioFile } from '../../src/scenarios/scenarioFile.ts';
import { scenarioToFile } from '../../src/scenarios/toFile.ts';
import { run } from '../helpers/cli.ts';
import { tempFiles } from '../helpers/variantFiles.ts';

const write = tempFiles('iommu-mc-driver-');

/** A trusted NIC with ATS that the DMA API maps for, strict invalidation, on the platform given. */
const file = (platform: string) => `name: nic-ats
devices:
  - name: nic
    drivers: [e1000e]
    ats: true
dma: [nic]
invalidation: strict
${platform}`;

describe('a scenario file naming its IOMMU driver', () => {
  it.each(['intel', 'arm-smmu-v3', 'amd'] as const)('iommuDriver: %s is read, the other platform settings keep their defaults', (driver) => {
    const { scenario } = parseScenarioFile(file(`platform:\n  iommuDriver: ${driver}\n`), 'driver.yaml');
    expect(iommuDriverOf(scenario)).toBe(driver);
    expect(platformOf(scenario)).toEqual({ ...PLATFORM_DEFAULTS, iommuDriver: driver });
  });

  it('omitted, the driver is intel and platformOf is what it was before the setting existed', () => {
    const { scenario } = parseScenarioFile(file(''), 'driver.yaml');
    expect(iommuDriverOf(scenario)).toBe('intel');
    expect(platformOf(scenario)).toEqual(PLATFORM_DEFAULTS);
  });

  it('is written back by toFile', () => {
    expect(scenarioToFile(parseScenarioFile(file('platform:\n  iommuDriver: amd\n'), 'driver.yaml').scenario).platform).toEqual({ iommuDriver: 'amd' });
  });

  it('changes no state: the same state space on every driver', () => {
    const sizes = ['', 'platform:\n  iommuDriver: arm-smmu-v3\n', 'platform:\n  iommuDriver: amd\n'].map((p) => {
      const r = explore(buildModel(parseScenarioFile(file(p), 'driver.yaml').scenario, currentVariant));
      expect(r.violations).toEqual([]);
      return [r.distinctStates, r.transitions];
    });
    expect(sizes[1]).toEqual(sizes[0]);
    expect(sizes[2]).toEqual(sizes[0]);
  });

  it.each([
    ['an unknown driver', 'platform:\n  iommuDriver: arm-smmu-v2\n'],
    ['a driver spelled as the module', 'platform:\n  iommuDriver: intel-iommu\n'],
    ['a number', 'platform:\n  iommuDriver: 3\n'],
  ])('%s: exit 2, one line naming the file and platform.iommuDriver with the accepted values', async (_what, platform) => {
    const path = write('driver.yaml', file(platform));
    const r = await run(['check', '--scenario-file', path]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^iommu-mc: .*driver\.yaml: platform\.iommuDriver: .*"intel".*"arm-smmu-v3".*"amd"/);
  });
});
