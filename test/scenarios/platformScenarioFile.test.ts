/**
 * The scenario-file keys of the platform (issue 16, Deliver 8) and of interrupts (Deliver 4):
 * `platform:` (irqRemapping, msi, allowUnsafeInterrupts, enforceCoherency) and the device key
 * `msi` (its doorbell writes are explored); they are written back by toFile; a bad value is exit
 * 2 with one line naming the file and the field.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/explore.ts';
import { buildModel } from '../../src/machines/model.ts';
import { platformOf, PLATFORM_DEFAULTS } from '../../src/machines/platform.ts';
import { currentVariant, findVariant } from '../../src/machines/variants/index.ts';
import { parseScenarioFile } from '../../src/scenarios/scenarioFile.ts';
import { scenarioToFile } from '../../src/scenarios/toFile.ts';
import { run } from '../helpers/cli.ts';
import { tempFiles } from '../helpers/variantFiles.ts';

const write = tempFiles('iommu-mc-platform-');

const file = (platform: string, msi = 'true') => `name: vm-no-ir
devices:
  - name: gpu
    drivers: [vfio-pci]
    msi: ${msi}
contexts:
  - name: vmm
    paths: [vfio-group, iommufd]
${platform}`;

const NO_IR = `platform:
  irqRemapping: false
`;

describe('a scenario file with platform settings and an msi device', () => {
  it('irqRemapping: false refuses the device to the user (MSI holds); a variant that skips the isolated-MSI test breaks MSI', () => {
    const { scenario } = parseScenarioFile(file(NO_IR), 'platform.yaml');
    expect(scenario.devices[0]!.msi).toBe(true);
    expect(platformOf(scenario)).toEqual({ ...PLATFORM_DEFAULTS, irqRemapping: false });
    expect(explore(buildModel(scenario, currentVariant)).violations).toEqual([]);
    expect(explore(buildModel(scenario, findVariant('isolated-msi-not-checked')!)).violations.map((v) => v.invariant)).toEqual(['MSI']);
  });

  it('accepts every platform key; allowUnsafeInterrupts: true is the trade-off that breaks MSI under the current kernel', () => {
    const text = file(`platform:
  irqRemapping: false
  msi: sw
  allowUnsafeInterrupts: true
  enforceCoherency: false
`);
    const { scenario } = parseScenarioFile(text, 'platform.yaml');
    expect(platformOf(scenario)).toEqual({ irqRemapping: false, msi: 'sw', allowUnsafeInterrupts: true, enforceCoherency: false });
    expect(explore(buildModel(scenario, currentVariant)).violations.map((v) => v.invariant)).toEqual(['MSI']);
  });

  it('is written back by toFile; msi is left out when false, platform when omitted', () => {
    const back = scenarioToFile(parseScenarioFile(file(NO_IR), 'platform.yaml').scenario);
    expect(back.platform).toEqual({ irqRemapping: false });
    expect((back.devices as { msi?: boolean }[])[0]!.msi).toBe(true);
    const off = parseScenarioFile(file('', 'false'), 'platform.yaml').scenario;
    expect(off.devices[0]).not.toHaveProperty('msi');
    expect(scenarioToFile(off)).not.toHaveProperty('platform');
  });

  it.each([
    ['platform.irqRemapping', file('platform:\n  irqRemapping: maybe\n'), /platform\.irqRemapping: .*expected boolean/],
    ['platform.msi', file('platform:\n  msi: gic\n'), /platform\.msi: .*"hw".*"sw"/],
    ['platform.allowUnsafeInterrupts', file('platform:\n  allowUnsafeInterrupts: 1\n'), /platform\.allowUnsafeInterrupts: .*expected boolean/],
    ['platform (an unknown key)', file('platform:\n  interruptRemapping: false\n'), /platform: .*interruptRemapping/],
    ['devices[0].msi', file(NO_IR, 'sometimes'), /devices\[0\]\.msi: .*expected boolean/],
  ])('a bad %s: exit 2, one line naming the file and the field', async (_field, text, message) => {
    const path = write('platform.yaml', text);
    const r = await run(['check', '--scenario-file', path]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^iommu-mc: .*platform\.yaml: /);
    expect(r.stderr).toMatch(message);
  });
});
