/**
 * The scenario-file key of reserved regions in user IOVA spaces (issue 16, Deliver 3, helper G):
 * `reservedIova` on a device (an IOVA page of the user IOVA space, below iovaPages; on a DMA
 * actor with a `mapDma` context). Written back by toFile; bad input is exit 2 with one located line.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/explore.ts';
import { buildModel } from '../../src/machines/model.ts';
import { currentVariant, findVariant } from '../../src/machines/variants/index.ts';
import { parseScenarioFile } from '../../src/scenarios/scenarioFile.ts';
import { scenarioToFile } from '../../src/scenarios/toFile.ts';
import { run } from '../helpers/cli.ts';
import { tempFiles } from '../helpers/variantFiles.ts';

const write = tempFiles('iommu-mc-resv-iova-');

const file = (reservedIova: string, opts: { dma?: string; mapDma?: boolean } = {}) => `name: msi-window-nic
devices:
  - name: nic
    drivers: [vfio-pci]
    reservedIova: ${reservedIova}
contexts:
  - name: vmm
    paths: [vfio-group, iommufd]${opts.mapDma === false ? '' : '\n    mapDma: true'}
dma: [${opts.dma ?? 'nic'}]
invalidation: strict
iovaPages: 2
`;

const expectOneLine = async (text: string, field: RegExp): Promise<void> => {
  const r = await run(['check', '--scenario-file', write('resv-iova.yaml', text)]);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(field);
};

describe('a scenario file with a reserved IOVA', () => {
  it('reservedIova: the kernel refuses maps there and RESV holds; without the checks RESV breaks', () => {
    const { scenario } = parseScenarioFile(file('0'), 'resv-iova.yaml');
    expect(scenario.devices[0]!.reservedIova).toBe(0);
    expect(explore(buildModel(scenario, currentVariant)).violations).toEqual([]);
    expect(explore(buildModel(scenario, findVariant('reserved-iova-not-enforced')!)).violations.map((v) => v.invariant)).toEqual(['RESV']);
  });

  it('is written back by toFile, and left out when absent', () => {
    const devices = scenarioToFile(parseScenarioFile(file('1'), 'resv-iova.yaml').scenario).devices as { reservedIova?: number }[];
    expect(devices[0]!.reservedIova).toBe(1);
    const without = parseScenarioFile(file('0').replace('    reservedIova: 0\n', ''), 'resv-iova.yaml').scenario;
    expect(without.devices[0]).not.toHaveProperty('reservedIova');
  });

  it('a reservedIova that is not a page number: exit 2, one line naming the file and the field', async () => {
    await expectOneLine(file('low'), /^iommu-mc: .*resv-iova\.yaml: devices\[0\]\.reservedIova: /);
  });

  it('a reservedIova at or above iovaPages: exit 2, one line', async () => {
    await expectOneLine(file('1').replace('iovaPages: 2', 'iovaPages: 1'), /^iommu-mc: .*resv-iova\.yaml: devices\[0\]\.reservedIova: expected an IOVA page below iovaPages \(1\)/);
  });

  it('a reservedIova without a mapping context: exit 2, one line', async () => {
    await expectOneLine(file('0', { mapDma: false }), /^iommu-mc: .*resv-iova\.yaml: devices\[0\]\.reservedIova: .*mapDma: true/);
  });
});
