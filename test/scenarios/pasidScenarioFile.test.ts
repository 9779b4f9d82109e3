/**
 * The scenario-file keys of PASIDs and PRI (issue 15, step 6): per device `pasids: N` (0 = no
 * PASID capability) and `pri: true`; bad values are one located line, and the built-in
 * sva-pasid-reuse round-trips through the file form.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/explore.ts';
import { buildModel } from '../../src/machines/model.ts';
import { currentVariant } from '../../src/machines/variants/index.ts';
import { parseScenarioFile } from '../../src/scenarios/scenarioFile.ts';
import { findScenario } from '../../src/scenarios/builtin.ts';
import { getBuiltinTopology } from '../../src/hardware/index.ts';
import { scenarioToFile } from '../../src/scenarios/toFile.ts';
import { unbindWithoutDrain } from '../helpers/pasidVariants.ts';

const file = (device: string) => `name: accel
devices:
  - name: dsa
    drivers: [idxd]
    pasidAcsPath: true
${device}
contexts: []
p2p: none
`;

const load = (ref: string) => getBuiltinTopology(ref)!;

describe('a scenario file with PASID values and PRI', () => {
  it('pasids and pri set the device\'s PASID range and PRI; the drain holds PASID-REUSE, a variant without it breaks it', () => {
    const { scenario } = parseScenarioFile(file('    pasids: 2\n    pri: true'), 'accel.yaml');
    expect(scenario.devices[0]).toMatchObject({ pasid: true, pasids: 2, pri: true });
    expect(explore(buildModel(scenario, currentVariant)).violations).toEqual([]);
    expect(explore(buildModel(scenario, unbindWithoutDrain)).violations.map((v) => v.invariant)).toEqual(['PASID-REUSE']);
  });

  it('pasids: 0 is a device without the PASID capability: SVA bind fails with -ENOSPC, nothing to judge', () => {
    const { scenario } = parseScenarioFile(file('    pasids: 0'), 'accel.yaml');
    expect(scenario.devices[0]).toMatchObject({ pasid: false, pasids: 0 });
    const m = buildModel(scenario, currentVariant);
    const bound = m.apply(m.init, { type: 'really_probe', dev: 0, driver: 'idxd' });
    const r = bound.ok ? m.apply(bound.next, { type: 'iommu_sva_bind_device', dev: 0, mm: 0 }) : bound;
    expect(r.ok ? 'ok' : r.errno).toBe('ENOSPC');
  });

  it('bad values are one located line', () => {
    const bad = (device: string) => () => parseScenarioFile(file(device), 'accel.yaml');
    expect(bad('    pasids: 9')).toThrow(/^accel\.yaml: devices\[0\]\.pasids: /);
    expect(bad('    pasids: 0\n    pasid: true')).toThrow('accel.yaml: devices[0].pasids: 0 means no PASID capability, but "pasid" is true; expected pasids from 1 to 4, or pasid: false');
    expect(bad('    pri: true')).toThrow('accel.yaml: devices[0].pri: page requests are queued per PASID; expected "pasids" from 1 to 4 with it');
    expect(bad('    pri: yes')).toThrow(/^accel\.yaml: devices\[0\]\.pri: /);
  });

  it('sva-pasid-reuse written back as a file loads as the same scenario', () => {
    const builtin = findScenario('sva-pasid-reuse')!;
    const text = JSON.stringify(scenarioToFile(builtin));
    const { scenario } = parseScenarioFile(text, 'sva-pasid-reuse.json', load);
    expect(scenario.devices).toEqual(builtin.devices);
  });
});
