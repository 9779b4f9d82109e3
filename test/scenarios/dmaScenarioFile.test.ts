/**
 * The scenario-file keys of the translation path (issue 15): `dma` (the devices that act as DMA
 * actors), `invalidation` (iommu.strict) and `iovaPages`; bad values are one located line.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/explore.ts';
import { buildModel } from '../../src/machines/model.ts';
import { currentVariant } from '../../src/machines/variants/index.ts';
import { parseScenarioFile } from '../../src/scenarios/scenarioFile.ts';
import { getBuiltinTopology } from '../../src/hardware/index.ts';
import { scenarioToFile } from '../../src/scenarios/toFile.ts';

const file = (extra: string) => `name: nic-dma
devices:
  - name: nic
    drivers: [e1000e]
contexts: []
${extra}`;

const atsFile = (extra: string) => `name: tb-ats
devices:
  - name: nic
    drivers: [e1000e]
    untrusted: true
    ats: true
contexts: []
${extra}`;

const load = (ref: string) => getBuiltinTopology(ref)!;

describe('a scenario file with DMA in the interleavings', () => {
  it('dma, invalidation and iovaPages mark the device as a DMA actor; lazy invalidation breaks STALE through the stale IOTLB entry', () => {
    const { scenario } = parseScenarioFile(file('dma: [nic]\ninvalidation: lazy\niovaPages: 2\n'), 'nic.yaml');
    expect(scenario.devices[0]!.dma).toBe(true);
    expect(scenario.iovaPages).toBe(2);
    const r = explore(buildModel(scenario, currentVariant));
    expect(r.violations.map((v) => v.invariant)).toEqual(['STALE']);
  });

  it('strict invalidation holds, with two IOVA pages', () => {
    const { scenario } = parseScenarioFile(file('dma: [nic]\ninvalidation: strict\niovaPages: 2\n'), 'nic.yaml');
    expect(explore(buildModel(scenario, currentVariant)).status).toBe('holds');
  });

  it('untrusted and subPage on a device: its sub-page buffers are bounced and its default domain stays strict under lazy invalidation', () => {
    const text = `name: tb-nic
devices:
  - name: nic
    drivers: [e1000e]
    untrusted: true
    subPage: true
dma: [nic]
invalidation: lazy
`;
    const { scenario } = parseScenarioFile(text, 'tb.yaml');
    expect(scenario.devices[0]).toMatchObject({ untrusted: true, subPage: true, dma: true });
    expect(explore(buildModel(scenario, currentVariant)).status).toBe('holds');
  });

  it('a plan names its DMA actors by BDF', () => {
    const text = `name: plan-dma
topology: switch-acs
plan:
  "03:00.0": { drivers: [e1000e] }
dma: ["03:00.0"]
invalidation: strict
`;
    const { scenario } = parseScenarioFile(text, 'plan.yaml', load);
    expect(scenario.devices.filter((d) => d.dma).map((d) => d.name)).toEqual(['03:00.0']);
  });

  it('ats on a DMA actor: an untrusted NIC with ATS holds (pci_ats_supported refuses it), and the key survives scenarioToFile', () => {
    const { scenario } = parseScenarioFile(atsFile('dma: [nic]\ninvalidation: strict\n'), 'ats.yaml');
    expect(scenario.devices[0]).toMatchObject({ untrusted: true, ats: true, dma: true });
    expect(explore(buildModel(scenario, currentVariant)).status).toBe('holds');
    expect((scenarioToFile(scenario).devices as object[])[0]).toMatchObject({ ats: true });
  });

  it('ats on a device that is not a DMA actor is one located line', () => {
    expect(() => parseScenarioFile(atsFile(''), 'ats.yaml')).toThrow(/^ats\.yaml: devices\[0\]\.ats: ATS acts only on a DMA actor or a resettable device; expected "nic" in "dma", or resettable: true, with it$/);
  });

  it('mapDma on a context: its VFIO_IOMMU_MAP_DMA / IOMMU_IOAS_MAP mappings are in the interleavings and hold; the key survives scenarioToFile', () => {
    const text = `name: vm-maps
devices:
  - name: nic
    drivers: [vfio-pci]
contexts:
  - { name: vm, paths: [vfio-group, iommufd], mapDma: true }
dma: [nic]
invalidation: strict
`;
    const { scenario } = parseScenarioFile(text, 'vm.yaml');
    expect(scenario.contexts[0]!.mapDma).toBe(true);
    const m = buildModel(scenario, currentVariant);
    const r = explore(m);
    expect(r.status).toBe('holds');
    expect((scenarioToFile(scenario).contexts as object[])[0]).toMatchObject({ mapDma: true });
  });

  it('groupTypeWrites lets the administrator write DMA-FQ to the group\'s type file: a strict domain gets the lazy window (STALE); the key survives scenarioToFile', () => {
    const { scenario } = parseScenarioFile(file('dma: [nic]\ninvalidation: strict\ngroupTypeWrites: true\n'), 'nic.yaml');
    expect(scenario.groupTypeWrites).toBe(true);
    expect(explore(buildModel(scenario, currentVariant)).violations.map((v) => v.invariant)).toEqual(['STALE']);
    expect(scenarioToFile(scenario)).toMatchObject({ groupTypeWrites: true });
  });

  it('mapDma without a DMA actor is one located line', () => {
    expect(() => parseScenarioFile(file('contexts:\n  - { name: vm, paths: [iommufd], mapDma: true }\n').replace('contexts: []\n', ''), 'nic.yaml')).toThrow(
      /^nic\.yaml: contexts\[0\]\.mapDma: a user maps memory for a DMA actor; expected "dma" \(a list of devices\) too$/,
    );
  });

  it.each([
    ['dma without invalidation', 'dma: [nic]\n', /^nic\.yaml: invalidation: "dma" puts DMA in the interleavings; expected "invalidation: strict" or "invalidation: lazy"/],
    ['a device that is not in the scenario', 'dma: [gpu]\ninvalidation: strict\n', /^nic\.yaml: dma\[0\]: expected a device of the scenario \(nic\), got "gpu"$/],
    ['a device named twice', 'dma: [nic, nic]\ninvalidation: strict\n', /^nic\.yaml: dma\[1\]: "nic" is named twice; expected each device once$/],
    ['iovaPages without dma', 'iovaPages: 1\n', /^nic\.yaml: iovaPages: sizes the IOVA space of DMA actors; expected "dma"/],
    ['three IOVA pages', 'dma: [nic]\ninvalidation: strict\niovaPages: 3\n', /^nic\.yaml: iovaPages: /],
    ['groupTypeWrites without dma', 'groupTypeWrites: true\n', /^nic\.yaml: groupTypeWrites: the sysfs type write changes the DMA-API default domain of a group with a DMA actor; expected "dma"/],
    ['groupTypeWrites that is not a boolean', 'dma: [nic]\ninvalidation: strict\ngroupTypeWrites: DMA-FQ\n', /^nic\.yaml: groupTypeWrites: /],
  ])('%s is one located line', (_what, extra, msg) => {
    expect(() => parseScenarioFile(file(extra), 'nic.yaml')).toThrow(msg);
  });
});
