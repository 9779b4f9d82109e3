/**
 * Real machines: on every lspci fixture taken as root, a plan that passes one device to a VM runs
 * to a verdict (exploration finished); the whole-machine plan of the largest fixture decomposes
 * into independent groups and holds.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runJobDecomposed } from '../../src/engine/check.ts';
import { BRIDGE_KINDS, type PciDevice } from '../../src/hardware/index.ts';
import { currentVariant } from '../../src/machines/variants/index.ts';
import { loadScenarioFile, loadTopologyRef } from '../../src/cli/scenarioInput.ts';
import { parseScenarioFile } from '../../src/scenarios/scenarioFile.ts';

const DIR = join(import.meta.dirname, '../fixtures/lspci');
const ROOT_DUMPS = readdirSync(DIR).filter((f) => !f.includes('nonroot'));
const PLAN = join(DIR, 'plan.yaml');
const expectation = { expected: 'holds' as const, invariants: [], source: 'default' as const };

/** The first function a VM would plausibly take: an endpoint with a memory BAR. */
const vmCandidate = (devices: readonly PciDevice[]) => devices.find((d) => !BRIDGE_KINDS.includes(d.kind) && d.bars.length > 0 && d.kind !== 'rc_event_collector');

describe('plans on real lspci dumps', () => {
  const withEndpoint = ROOT_DUMPS.filter((dump) => vmCandidate(loadTopologyRef(dump, PLAN).devices));

  it('only the one-root-port Hygon dumps have no endpoint to plan', () => {
    expect(ROOT_DUMPS.filter((d) => !withEndpoint.includes(d))).toEqual(['hygon-rootport-after-d3.vvv.txt', 'hygon-rootport-d0.vvv.txt']);
  });

  it.each(withEndpoint)('%s: passing one device to a VM runs to a verdict', (dump) => {
    const file = PLAN;
    const d = vmCandidate(loadTopologyRef(dump, file).devices)!;
    const yaml = `name: one-device\ntopology: ${dump}\nplan:\n  "${d.bdf}": { drivers: [vfio-pci] }\ncontexts:\n  - { name: vm, paths: [iommufd] }\n`;
    const { scenario } = parseScenarioFile(yaml, file, (ref) => loadTopologyRef(ref, file));
    const r = runJobDecomposed({ scenario, variant: currentVariant, expectation });
    expect(r.complete).toBe(true);
    expect(['holds', 'violated']).toContain(r.status);
  });

  it('the whole-machine plan of the ASUS B350 splits into five components and holds', () => {
    const { scenario } = loadScenarioFile(join(import.meta.dirname, '../fixtures/scenarios/asus-whole-machine.yaml'));
    const r = runJobDecomposed({ scenario, variant: currentVariant, expectation });
    expect(r.complete).toBe(true);
    expect(r.components?.map((c) => c.groups)).toEqual([['14'], ['15'], ['16'], ['19'], ['21']]);
    expect(r.status).toBe('holds');
    expect(r.productStates).toBe(5_572_476);
  });
});
