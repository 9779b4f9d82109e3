/**
 * The scenario-file keys of cache coherency (issue 16, Deliver 5): a device's `noSnoop: true`
 * gives the scenario the coherency state and the device its no-snoop reads, `enforceCoherency`
 * overrides the platform's IOMMU_CAP_ENFORCE_CACHE_COHERENCY for that device's IOMMU; both are
 * written back by toFile; a value that is not a boolean is exit 2 with one located line.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/explore.ts';
import { buildModel } from '../../src/machines/model.ts';
import { currentVariant, findVariant } from '../../src/machines/variants/index.ts';
import { parseScenarioFile } from '../../src/scenarios/scenarioFile.ts';
import { scenarioToFile } from '../../src/scenarios/toFile.ts';
import { run } from '../helpers/cli.ts';
import { tempFiles } from '../helpers/variantFiles.ts';

const write = tempFiles('iommu-mc-coherency-');

// One group (the device-list form has one), its two devices with different snoop control: the first to attach allocates the hwpt.
const file = (noSnoop: string, enforce = 'false', platform = '') => `name: vmm-no-snoop
devices:
  - name: gpu
    drivers: [vfio-pci]
    noSnoop: ${noSnoop}
  - name: audio
    drivers: [vfio-pci]
    noSnoop: true
    enforceCoherency: ${enforce}
contexts:
  - name: vmm
    paths: [iommufd]
${platform}`;

describe('a scenario file with no-snoop devices', () => {
  it('noSnoop and enforceCoherency give the coherency state; the kernel rule holds, an attach without the snoop check breaks SNOOP', () => {
    const { scenario } = parseScenarioFile(file('true'), 'snoop.yaml');
    expect(scenario.devices.map((d) => [d.noSnoop, d.enforceCoherency])).toEqual([[true, undefined], [true, false]]);
    const m = buildModel(scenario, currentVariant);
    expect(m.init.devices[0]).toMatchObject({ no_snoop_stale: false });
    expect(m.init.containers[0]).toMatchObject({ enforce_cache_coherency: [null] });
    expect(explore(m).violations).toEqual([]);
    expect(explore(buildModel(scenario, findVariant('enforce-cc-attach-skips-snoop-check')!)).violations.map((v) => v.invariant)).toEqual(['SNOOP']);
  });

  it('a platform without snoop control anywhere: no hwpt enforces, nothing to break', () => {
    const { scenario } = parseScenarioFile(file('true', 'false', 'platform:\n  enforceCoherency: false\n'), 'snoop.yaml');
    expect(explore(buildModel(scenario, findVariant('enforce-cc-attach-skips-snoop-check')!)).violations).toEqual([]);
  });

  it('is written back by toFile, and noSnoop is left out when false', () => {
    const back = scenarioToFile(parseScenarioFile(file('true'), 'snoop.yaml').scenario).devices as { noSnoop?: boolean; enforceCoherency?: boolean }[];
    expect(back.map((d) => [d.noSnoop, d.enforceCoherency])).toEqual([[true, undefined], [true, false]]);
    expect(parseScenarioFile(file('false'), 'snoop.yaml').scenario.devices[0]).not.toHaveProperty('noSnoop');
  });

  it('a noSnoop that is not a boolean: exit 2, one line naming the file and the field', async () => {
    const path = write('snoop.yaml', file('sometimes'));
    const r = await run(['check', '--scenario-file', path]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^iommu-mc: .*snoop\.yaml: devices\[0\]\.noSnoop: .*expected boolean/);
  });

  it('an enforceCoherency that is not a boolean: exit 2, one located line', async () => {
    const path = write('snoop-cap.yaml', file('true', '"yes"'));
    const r = await run(['check', '--scenario-file', path]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^iommu-mc: .*snoop-cap\.yaml: devices\[1\]\.enforceCoherency: .*expected boolean/);
  });
});
