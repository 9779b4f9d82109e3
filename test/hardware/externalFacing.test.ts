/**
 * set_pcie_untrusted (drivers/pci/probe.c): a device whose upstream bridge is untrusted or
 * external-facing is untrusted; firmware marks root ports external-facing
 * (pci_acpi_set_external_facing). The scenario's DMA actors take the flag from the topology.
 */
import { describe, expect, it } from 'vitest';
import { getBuiltinTopology, parseTopology } from '../../src/hardware/index.ts';
import { acsPortsOf } from '../../src/machines/atsRoutes.ts';
import { findScenario } from '../../src/scenarios/builtin.ts';
import { topo } from './helpers.ts';

describe('set_pcie_untrusted', () => {
  it('marks everything below an external-facing root port untrusted, the port itself not', () => {
    const t = getBuiltinTopology('thunderbolt-dock')!;
    const untrusted = Object.fromEntries(t.devices.map((d) => [d.bdf, d.untrusted]));
    expect(untrusted).toEqual({ '00:07.0': false, '01:00.0': true, '02:00.0': true, '02:01.0': true, '03:00.0': true, '04:00.0': true });
    expect(t.devices.find((d) => d.bdf === '00:07.0')!.externalFacing).toBe(true);
  });

  it('leaves devices below a root port that is not external-facing trusted', () => {
    const t = topo({ name: 't', rootPorts: [{ name: 'rp', bdf: '00:1c.0' }], endpoints: [{ name: 'nic', parent: 'rp', functions: [{ bdf: '01:00.0' }] }] });
    expect(t.devices.every((d) => !d.untrusted)).toBe(true);
  });

  it('inherits an untrusted bridge marked in the file (the upstream bridge is untrusted)', () => {
    const t = topo({
      name: 't',
      rootPorts: [{ name: 'rp', bdf: '00:1c.0' }],
      switches: [{ name: 'sw', parent: 'rp', upstream: { bdf: '01:00.0', untrusted: true }, ports: [{ name: 'dp', bdf: '02:00.0' }] }],
      endpoints: [{ name: 'nic', parent: 'dp', functions: [{ bdf: '03:00.0' }] }],
    });
    expect(t.devices.filter((d) => d.untrusted).map((d) => d.bdf)).toEqual(['01:00.0', '02:00.0', '03:00.0']);
  });

  it('refuses externalFacing on a switch port: firmware marks root ports only (one located line)', () => {
    const r = parseTopology('name: x\nrootPorts: [{ name: r, bdf: "00:1c.0" }]\nswitches: [{ name: s, parent: r, upstream: { bdf: "01:00.0" }, ports: [{ name: d, bdf: "02:00.0", externalFacing: true }] }]\n', 't.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.message).toMatch(/^t\.yaml: switches\[0\]\.ports\[0\]\.externalFacing: expected no such key/);
      expect(r.error.message).not.toContain('\n');
    }
  });
});

describe('a scenario on an external-facing port', () => {
  it('takes untrusted from the topology: the dock NIC of dma-api-external-lazy is untrusted without a flag', () => {
    const s = findScenario('dma-api-external-lazy')!;
    expect(s.devices[0]!.untrusted).toBe(true);
  });

  it('gives the port above the dock NIC Translation Blocking (pci_std_enable_acs: untrusted port)', () => {
    expect(acsPortsOf(findScenario('dma-api-external-lazy')!, 0)).toEqual([{ port: '02:00.0', external_facing: true }]);
  });
});
