/**
 * The scenario-file key of BAR access (issue 16, Deliver 6): a device's `barMmap: true` gives the
 * scenario the BAR state and its user the BAR calls (fault, PCI_COMMAND write, write(),
 * VFIO_DEVICE_RESET, loads and stores); it is written back by toFile; a value that is not a
 * boolean, or a barMmap device without a VFIO driver, is exit 2 with one located line.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/explore.ts';
import { buildModel } from '../../src/machines/model.ts';
import { currentVariant, findVariant } from '../../src/machines/variants/index.ts';
import { parseScenarioFile } from '../../src/scenarios/scenarioFile.ts';
import { scenarioToFile } from '../../src/scenarios/toFile.ts';
import { run } from '../helpers/cli.ts';
import { tempFiles } from '../helpers/variantFiles.ts';

const write = tempFiles('iommu-mc-bar-');

const file = (barMmap: string, drivers = '[vfio-pci]', extra = '') => `name: vmm-bar
devices:
  - name: gpu
    drivers: ${drivers}
    barMmap: ${barMmap}${extra}
  - name: nic
    drivers: [vfio-pci]
contexts:
  - name: vmm
    paths: [iommufd]
`;

describe('a scenario file with BAR mmaps', () => {
  it('barMmap: true gives the BAR state; the kernel rule holds, a reset without the zap breaks BAR', () => {
    const { scenario } = parseScenarioFile(file('true'), 'bar.yaml');
    expect(scenario.devices[0]!.barMmap).toBe(true);
    expect(buildModel(scenario, currentVariant).init.devices[0]).toMatchObject({ command_memory: true, bar_ptes: false, memory_lock: false });
    expect(explore(buildModel(scenario, currentVariant)).violations).toEqual([]);
    expect(explore(buildModel(scenario, findVariant('reset-without-zap')!)).violations.map((v) => v.invariant)).toEqual(['BAR']);
  });

  it('is written back by toFile, and left out when false', () => {
    expect((scenarioToFile(parseScenarioFile(file('true'), 'bar.yaml').scenario).devices as { barMmap?: boolean }[])[0]!.barMmap).toBe(true);
    const off = parseScenarioFile(file('false'), 'bar.yaml').scenario;
    expect(off.devices[0]).not.toHaveProperty('barMmap');
    expect(buildModel(off, currentVariant).init.devices[0]).not.toHaveProperty('bar_ptes');
  });

  it('barDmabuf adds the DMABUF export: the dma_buf state, written back by toFile; without the revoke BAR breaks', () => {
    const { scenario } = parseScenarioFile(file('true', '[vfio-pci]', '\n    barDmabuf: true'), 'bar.yaml');
    expect(scenario.devices[0]!.barDmabuf).toBe(true);
    expect(buildModel(scenario, currentVariant).init.devices.map((d) => d.dma_buf)).toEqual(['none', 'none']);
    expect((scenarioToFile(scenario).devices as { barDmabuf?: boolean }[])[0]!.barDmabuf).toBe(true);
    expect(explore(buildModel(scenario, currentVariant)).violations).toEqual([]);
    expect(explore(buildModel(scenario, findVariant('dma-buf-revoke-skipped')!)).violations.map((v) => v.invariant)).toEqual(['BAR']);
  });

  it('a barDmabuf without barMmap: exit 2, one located line', async () => {
    const path = write('bar-dmabuf.yaml', file('false', '[vfio-pci]', '\n    barDmabuf: true'));
    const r = await run(['check', '--scenario-file', path]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(/^iommu-mc: .*bar-dmabuf\.yaml: devices\[0\]\.barDmabuf: the DMABUF export is of a BAR the user maps; expected barMmap: true with it$/);
  });

  it('a barMmap that is not a boolean: exit 2, one line naming the file and the field', async () => {
    const path = write('bar.yaml', file('maybe'));
    const r = await run(['check', '--scenario-file', path]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^iommu-mc: .*bar\.yaml: devices\[0\]\.barMmap: .*expected boolean/);
  });

  it('a barMmap device without a VFIO driver: exit 2, one line naming the field and what is expected', async () => {
    const path = write('bar-host.yaml', file('true', '[e1000e]'));
    const r = await run(['check', '--scenario-file', path]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(/^iommu-mc: .*bar-host\.yaml: devices\[0\]\.barMmap: a user maps the BARs of a device it holds through VFIO; expected a VFIO driver \(.*vfio-pci.*\) in "drivers" with it$/);
  });
});
