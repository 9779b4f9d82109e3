/**
 * Scenarios from a machine and a plan: the planned devices' IOMMU groups are modelled whole, the
 * group-mates the plan leaves out keep the host driver the dump shows, contexts take only their
 * devices, and every error names its field.
 */
import { describe, expect, it } from 'vitest';
import { runJob } from '../../src/engine/check.ts';
import { getBuiltinTopology } from '../../src/hardware/index.ts';
import { currentVariant } from '../../src/machines/variants/index.ts';
import { parseScenarioFile, ScenarioFileError } from '../../src/scenarios/scenarioFile.ts';
import { driverArchetype } from '../../src/scenarios/plan.ts';

const load = (ref: string) => {
  const t = getBuiltinTopology(ref);
  if (!t) throw new Error(`expected a built-in topology, got "${ref}"`);
  return t;
};
const parse = (yaml: string) => parseScenarioFile(yaml, 'plan.yaml', load).scenario;
const check = (yaml: string) =>
  runJob({ scenario: parse(yaml), variant: currentVariant, expectation: { expected: 'holds', invariants: [], source: 'default' } });

const vmTakes = (topology: string, grouping: string, planned: string) => `
name: t
topology: ${topology}
grouping: ${grouping}
plan:
${planned}
contexts:
  - { name: vm, paths: [iommufd], devices: ["03:00.0"] }
`;

describe('a scenario from a topology and a plan', () => {
  it('a VM taking 03:00.0 below a switch without ACS breaks P2P under mainline grouping, the peer in another group named', () => {
    const r = check(vmTakes('switch-no-acs', 'mainline', '  "03:00.0": { drivers: [vfio-pci] }\n  "04:00.0": { drivers: [e1000e] }'));
    expect(r.status).toBe('violated');
    expect(r.result.violations.map((v) => v.invariant)).toContain('P2P');
    expect(r.result.violations.find((v) => v.invariant === 'P2P')!.reason).toMatch(/04:00\.0 is in another IOMMU group/);
  });

  it('under switch-groups the two endpoints share a group: VFIO_DEVICE_BIND_IOMMUFD returns EPERM while e1000e is bound, and P2P holds', () => {
    const s = parse(vmTakes('switch-no-acs', 'switch-groups', '  "03:00.0": { drivers: [vfio-pci] }\n  "04:00.0": { drivers: [e1000e] }'));
    expect(s.devices.map((d) => d.group)).toEqual([0, 0]);
    const r = runJob({ scenario: s, variant: currentVariant, expectation: { expected: 'holds', invariants: [], source: 'default' } });
    expect(r.status).toBe('holds');
    expect(r.result.coverage['vfio_df_ioctl_bind_iommufd']!.errnos.EPERM).toBeGreaterThan(0);
  });

  it('a group-mate the plan leaves out is a fixed slot: under switch-groups 04:00.0 joins the model without the plan naming it', () => {
    const s = parse(vmTakes('switch-no-acs', 'switch-groups', '  "03:00.0": { drivers: [vfio-pci] }'));
    expect(s.devices.map((d) => [d.name, !!d.fixed])).toEqual([
      ['03:00.0', false],
      ['04:00.0', true],
    ]);
  });

  it('a device outside the planned groups is no slot: under mainline 04:00.0 is an outside peer the user reaches', () => {
    const s = parse(vmTakes('switch-no-acs', 'mainline', '  "03:00.0": { drivers: [vfio-pci] }'));
    expect(s.devices.map((d) => d.name)).toEqual(['03:00.0']);
    expect(s.outsidePeers?.map((o) => o.name)).toEqual(['nic-b']);
  });

  it('a host driver from a dump becomes its archetype: vfio-pci, pci-stub and pcieport stay, any other is a DMA-API driver', () => {
    expect(['vfio-pci', 'pci-stub', 'pcieport', 'nvme', 'snd_hda_intel'].map(driverArchetype)).toEqual(['vfio-pci', 'pci-stub', 'pcieport', 'e1000e', 'e1000e']);
  });

  it.each([
    ['a plan naming a BDF the topology lacks', 'name: t\ntopology: switch-acs\nplan:\n  "0f:00.0": { drivers: [vfio-pci] }\n', /^plan\.yaml: plan\."0f:00\.0": expected a device of topology switch-acs/],
    ['a plan naming a bridge', 'name: t\ntopology: switch-acs\nplan:\n  "02:08.0": { drivers: [vfio-pci] }\n', /^plan\.yaml: plan\."02:08\.0": expected a DMA-capable function, got 02:08\.0, a downstream port/],
    [
      "a device in two contexts' lists",
      'name: t\ntopology: switch-acs\nplan:\n  "03:00.0": { drivers: [vfio-pci] }\ncontexts:\n  - { name: a, paths: [iommufd], devices: ["03:00.0"] }\n  - { name: b, paths: [iommufd], devices: ["03:00.0"] }\n',
      /^plan\.yaml: contexts\[1\]\.devices\[0\]: "03:00\.0" is already in contexts\[0\]\.devices/,
    ],
    ['an unknown grouping rule', 'name: t\ntopology: switch-acs\ngrouping: acs-override\nplan:\n  "03:00.0": { drivers: [vfio-pci] }\n', /^plan\.yaml: grouping: Invalid option: expected one of "mainline"\|"switch-groups"/],
    ['a plan without a topology', 'name: t\nplan:\n  "03:00.0": { drivers: [vfio-pci] }\n', /^plan\.yaml: topology: a plan names devices by BDF/],
    ['a topology the loader cannot resolve', 'name: t\ntopology: nope\nplan:\n  "03:00.0": { drivers: [vfio-pci] }\n', /^plan\.yaml: topology: expected a built-in topology, got "nope"/],
    ['hand-written p2p beside a topology', 'name: t\ntopology: switch-acs\np2p: all\ndevices:\n  - { name: "03:00.0", drivers: [vfio-pci] }\n', /^plan\.yaml: p2p: derived from the topology/],
    ['two device names for one function of the topology', 'name: t\ntopology: switch-acs\ndevices:\n  - { name: "03:00.0", drivers: [vfio-pci] }\n  - { name: nic-a, drivers: [e1000e] }\n', /^plan\.yaml: devices: device 1 \(nic-a\) is 03:00\.0, which device 0 names already/],
    ['a device name used twice', 'name: t\ndevices:\n  - { name: a, drivers: [vfio-pci] }\n  - { name: a, drivers: [e1000e] }\n', /^plan\.yaml: devices\[1\]\.name: "a" is already used by devices\[0\]/],
    ['a VF whose pf has no SR-IOV PF driver', 'name: t\ndevices:\n  - { name: pf, drivers: [e1000e] }\n  - { name: vf, drivers: [vfio-pci], pf: pf }\n', /^plan\.yaml: devices\[1\]\.pf: expected the name of a PF device whose drivers include an SR-IOV PF driver/],
    ['a pf the topology does not make its PF', 'name: t\ntopology: sriov-nic\ndevices:\n  - { name: "01:02.1", drivers: [sriov-pf] }\n  - { name: "01:02.0", drivers: [vfio-pci], pf: "01:02.1" }\n', /^plan\.yaml: devices\[1\]\.pf: 01:02\.0 is not a VF of 01:02\.1/],
    ['interchangeable devices a context tells apart', 'name: t\ndevices:\n  - { name: a, drivers: [vfio-pci] }\n  - { name: b, drivers: [vfio-pci] }\ncontexts:\n  - { name: c, paths: [iommufd], devices: [a] }\nsymmetry: [[a, b]]\n', /^plan\.yaml: symmetry\[0\]: a and b are not interchangeable: context c may take only one of them/],
    ['both plan and devices', 'name: t\ntopology: switch-acs\nplan:\n  "03:00.0": { drivers: [vfio-pci] }\ndevices:\n  - { name: "03:00.0", drivers: [vfio-pci] }\n', /^plan\.yaml: plan: expected either "plan"/],
  ])('%s is one located error', (_what, yaml, message) => {
    expect(() => parse(yaml)).toThrow(ScenarioFileError);
    expect(() => parse(yaml)).toThrow(message);
  });
});
