/**
 * The scenario-file keys of staged resets (issue 16): `resettable` (reset methods may begin and
 * end on the device between any two calls) and `dmaAlias` (a device sharing its requester ID);
 * a bad alias is one located line.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/explore.ts';
import { buildModel } from '../../src/machines/model.ts';
import { currentVariant, findVariant } from '../../src/machines/variants/index.ts';
import { parseScenarioFile } from '../../src/scenarios/scenarioFile.ts';

const file = (alias: string) => `name: nic-reset
devices:
  - name: nic
    drivers: [e1000e]
    ats: true
    resettable: true
  - name: nic-fn1
    drivers: [e1000e]
    dmaAlias: ${alias}
contexts: []
`;

describe('a scenario file with staged resets', () => {
  it('resettable and dmaAlias give the reset state; the kernel rule holds, an aliased sibling left unblocked breaks I20', () => {
    const { scenario } = parseScenarioFile(file('nic'), 'reset.yaml');
    expect(scenario.devices.map((d) => [d.resettable, d.dmaAlias])).toEqual([[true, undefined], [undefined, 0]]);
    expect(explore(buildModel(scenario, currentVariant)).violations).toEqual([]);
    const r = explore(buildModel(scenario, findVariant('reset-alias-sibling-unblocked')!));
    expect(r.violations.map((v) => v.invariant)).toEqual(['I20']);
  });

  it('a dmaAlias that names no device, or the device itself, is one located line', () => {
    expect(() => parseScenarioFile(file('nope'), 'reset.yaml')).toThrow(/^reset\.yaml: devices\[1\]\.dmaAlias: /);
    expect(() => parseScenarioFile(file('nic-fn1'), 'reset.yaml')).toThrow(/^reset\.yaml: devices\[1\]\.dmaAlias: expected the name of another device sharing its requester ID, got its own name "nic-fn1"$/);
  });
});
