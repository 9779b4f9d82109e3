/**
 * Built-in topologies, by name: small hierarchies that each exercise one grouping or
 * routing rule. Written in the file format (TopologySpec) and built once.
 */
import type { FunctionSpec, TopologySpec } from './topologySpec.ts';
import { buildTopology } from './buildTopology.ts';
import type { Topology } from './types.ts';

type AcsSpec = FunctionSpec['acs'];
const ISOLATED: AcsSpec = { cap: ['SV', 'RR', 'CR', 'UF'], ctrl: ['SV', 'RR', 'CR', 'UF'] };
const NO_CTRL: AcsSpec = { cap: ['SV', 'RR', 'CR', 'UF'], ctrl: [] };
/** ACS capable of everything, SV left off in ACSCtl (RR, CR, UF on). */
const NO_SV: AcsSpec = { cap: ['SV', 'RR', 'CR', 'UF'], ctrl: ['RR', 'CR', 'UF'] };
const MB = 0x100000;
const rp = (name: string, bdf: string, acs: AcsSpec = ISOLATED) => ({ name, bdf, acs, id: '8086:1901' });

/** A switch (Broadcom/PLX 8747 unless `switchId` says otherwise) with two endpoints below two downstream ports. */
const switchWith = (name: string, description: string, dpAcs: AcsSpec, sva: boolean, switchId = '10b5:8747'): TopologySpec => ({
  name,
  description,
  rootPorts: [rp('rp0', '00:01.0')],
  switches: [
    {
      name: 'sw0',
      parent: 'rp0',
      upstream: { bdf: '01:00.0', name: 'sw0-usp', id: switchId },
      ports: [
        { name: 'sw0-dp0', bdf: '02:08.0', id: switchId, acs: dpAcs },
        { name: 'sw0-dp1', bdf: '02:10.0', id: switchId, acs: dpAcs },
      ],
    },
  ],
  endpoints: [
    { name: sva ? 'sva-accel' : 'nic-a', parent: 'sw0-dp0', functions: [{ bdf: '03:00.0', id: sva ? '8086:0b25' : '15b3:1017', bars: [{ base: 0xa0000000, size: MB }], ats: sva, pasid: sva }] },
    { name: sva ? 'peer-nvme' : 'nic-b', parent: 'sw0-dp1', functions: [{ bdf: '04:00.0', id: sva ? '144d:a808' : '15b3:1017', bars: [{ base: 0xa0200000, size: MB }] }] },
  ],
});

/**
 * An Intel X710 (8086:1572) SR-IOV NIC below an isolated root port: the PF 01:00.0 and two VFs
 * (8086:154c, "Ethernet Virtual Function 700 Series") at 01:02.0 and 01:02.1 (First VF Offset
 * 16, VF Stride 1: pci_iov_virtfn_devfn()). `pfAcs` is the PF's ACS capability; the VFs have none.
 */
const sriovNic = (name: string, description: string, pfAcs: AcsSpec): TopologySpec => ({
  name,
  description,
  rootPorts: [rp('rp0', '00:01.0')],
  endpoints: [
    {
      name: 'x710',
      parent: 'rp0',
      functions: [
        { bdf: '01:00.0', name: 'x710-pf', id: '8086:1572', acs: pfAcs, bars: [{ base: 0xc0000000, size: MB }] },
        { bdf: '01:02.0', name: 'x710-vf0', id: '8086:154c', physfn: '01:00.0', bars: [{ base: 0xc0100000, size: 0x10000 }] },
        { bdf: '01:02.1', name: 'x710-vf1', id: '8086:154c', physfn: '01:00.0', bars: [{ base: 0xc0110000, size: 0x10000 }] },
      ],
    },
  ],
});

/** The topology files behind the builtins, by name. */
export const BUILTIN_TOPOLOGY_SPECS: Readonly<Record<string, TopologySpec>> = {
  'switch-no-acs': switchWith('switch-no-acs', 'A PCIe switch whose downstream ports have no ACS capability, with two endpoints that reach each other peer-to-peer. Mainline pci_device_group still gives each downstream port (with its endpoint) its own group, so I13 fails: the gap described in the 2025 pcie_switch_groups series.', null, false),
  'switch-acs': switchWith('switch-acs', 'The same switch with ACS SV+RR+CR+UF enabled on both downstream ports (what pci_std_enable_acs sets): one group per endpoint, peer requests are redirected to the IOMMU.', ISOLATED, false),
  'switch-acs-disabled': switchWith('switch-acs-disabled', 'The switch has the ACS capability but nothing enabled in ACSCtl (e.g. disable_acs_redir=): grouped and routed like no ACS (I13 fails the same way).', NO_CTRL, false),
  'switch-acs-dt': switchWith(
    'switch-acs-dt',
    'The ACS-isolated switch whose downstream ports also have Direct Translated P2P (DT) enabled by firmware and the Translation Blocking capability (TB), which pci_std_enable_acs turns on only for external-facing or untrusted ports: untranslated peer requests are redirected to the IOMMU, ATS-translated ones go straight to the peer unless TB is set.',
    { cap: ['SV', 'TB', 'RR', 'CR', 'UF', 'DT'], ctrl: ['SV', 'RR', 'CR', 'UF', 'DT'] },
    false,
  ),
  'multifunction-no-acs': {
    name: 'multifunction-no-acs',
    description: 'A two-function endpoint without ACS below an isolated root port: both functions share a group and talk inside the device.',
    rootPorts: [rp('rp0', '00:1c.0')],
    endpoints: [
      {
        name: 'dual-nic',
        parent: 'rp0',
        functions: [
          { bdf: '01:00.0', name: 'dual-nic.0', id: '14e4:165f', bars: [{ base: 0xb0000000, size: 0x10000 }] },
          { bdf: '01:00.1', name: 'dual-nic.1', id: '14e4:165f', bars: [{ base: 0xb0010000, size: 0x10000 }] },
        ],
      },
    ],
  },
  'multifunction-pasid-no-acs': {
    name: 'multifunction-pasid-no-acs',
    description: 'A two-function accelerator without ACS below an isolated root port; function 0 has ATS and PASID. pci_enable_pasid refuses it: a multifunction device must itself have ACS RR+UF.',
    rootPorts: [rp('rp0', '00:1c.0')],
    endpoints: [
      {
        name: 'accel',
        parent: 'rp0',
        functions: [
          { bdf: '06:00.0', name: 'accel.0', id: '8086:0b25', bars: [{ base: 0xb0000000, size: 0x10000 }], ats: true, pasid: true },
          { bdf: '06:00.1', name: 'accel.1', id: '8086:0b25', bars: [{ base: 0xb0010000, size: 0x10000 }] },
        ],
      },
    ],
  },
  'multifunction-pasid-acs-no-sv': {
    name: 'multifunction-pasid-acs-no-sv',
    description:
      'A two-function accelerator below an isolated root port whose functions have ACS RR+CR+UF on but SV off (ACSCap SrcValid+, ACSCtl SrcValid-: e.g. pci=config_acs= clearing SV, which __pci_config_acs applies after pci_std_enable_acs); function 0 has ATS and PASID. pci_device_group keeps the functions together (REQ_ACS_FLAGS needs SV too), yet pci_enable_pasid passes (it asks only RR+UF): a PASID-enabled function shares its IOMMU group.',
    rootPorts: [rp('rp0', '00:1c.0')],
    endpoints: [
      {
        name: 'accel',
        parent: 'rp0',
        functions: [
          { bdf: '06:00.0', name: 'accel.0', id: '8086:0b25', acs: NO_SV, bars: [{ base: 0xb0000000, size: 0x10000 }], ats: true, pasid: true },
          { bdf: '06:00.1', name: 'accel.1', id: '8086:0b25', acs: NO_SV, bars: [{ base: 0xb0010000, size: 0x10000 }] },
        ],
      },
    ],
  },
  'multifunction-quirk': {
    name: 'multifunction-quirk',
    description: 'An Intel I350 two-port NIC: no ACS capability, but pci_quirk_mf_endpoint_acs vouches that the functions do not do peer-to-peer, so each function gets its own group.',
    rootPorts: [rp('rp0', '00:1c.0')],
    endpoints: [
      {
        name: 'i350',
        parent: 'rp0',
        functions: [
          { bdf: '01:00.0', name: 'i350.0', id: '8086:1521', bars: [{ base: 0xb0000000, size: 0x20000 }] },
          { bdf: '01:00.1', name: 'i350.1', id: '8086:1521', bars: [{ base: 0xb0020000, size: 0x20000 }] },
        ],
      },
    ],
  },
  'pcie-to-pci-bridge': {
    name: 'pcie-to-pci-bridge',
    description: 'A PCIe-to-PCI bridge with two conventional PCI devices: one shared bus, one DMA alias (secondary bus, 00.0), one group with the bridge.',
    rootPorts: [rp('rp0', '00:1c.0')],
    bridges: [
      {
        name: 'pci-bridge',
        parent: 'rp0',
        bdf: '01:00.0',
        id: '1b21:1080',
        devices: [
          { bdf: '02:00.0', name: 'pci-sound', id: '1102:0002', bars: [{ base: 0xc0000000, size: 0x1000 }] },
          { bdf: '02:01.0', name: 'pci-serial', id: '9710:9865', bars: [{ base: 0xc0001000, size: 0x1000 }] },
        ],
      },
    ],
  },
  'root-port-no-acs': {
    name: 'root-port-no-acs',
    description: 'Two functions of one multifunction root port device, no ACS (a PCH without its quirk): both root ports and everything below them form one group.',
    rootPorts: [
      { name: 'rp0', bdf: '00:1c.0', id: '8086:a33c', acs: null },
      { name: 'rp1', bdf: '00:1c.1', id: '8086:a33d', acs: null },
    ],
    endpoints: [
      { name: 'nvme', parent: 'rp0', functions: [{ bdf: '01:00.0', id: '144d:a808', bars: [{ base: 0xd0000000, size: 0x4000 }] }] },
      { name: 'wifi', parent: 'rp1', functions: [{ bdf: '02:00.0', id: '8086:2723', bars: [{ base: 0xd0100000, size: 0x4000 }] }] },
    ],
  },
  'sva-switch': switchWith('sva-switch', 'An SVA-capable accelerator (ATS, PASID) under a switch without ACS, beside a peer NVMe: pci_enable_pasid refuses it (-EINVAL), and PASID DMA at the peer BAR lands on the peer.', null, true),
  'sva-switch-acs': switchWith('sva-switch-acs', 'The SVA accelerator under a switch with ACS SV+RR+CR+UF: pci_enable_pasid succeeds and PASID DMA at the peer BAR goes to the IOMMU.', ISOLATED, true),
  'dma-alias-quirk': {
    name: 'dma-alias-quirk',
    description: 'A Marvell 88SE9128 SATA controller that also issues DMA as function 1 (quirk_dma_func1_alias), beside an isolated root port.',
    rootPorts: [rp('rp0', '00:1c.0'), rp('rp1', '00:1d.0')],
    endpoints: [
      { name: 'marvell-sata', parent: 'rp0', functions: [{ bdf: '01:00.0', id: '1b4b:9128', bars: [{ base: 0xe0000000, size: 0x800 }] }] },
      { name: 'nic', parent: 'rp1', functions: [{ bdf: '02:00.0', id: '8086:1533', bars: [{ base: 0xe0100000, size: 0x20000 }] }] },
    ],
  },
  'switch-no-acs-sv': switchWith(
    'switch-no-acs-sv',
    'An IDT 89H32H8G3 (111d:80b5) switch whose downstream ports have ACS RR+CR+UF on but SV off (ACSCap SrcValid+, ACSCtl SrcValid-: what the 2026 quirk pci_disable_broken_acs_cap leaves), below a root port with SV. Mainline pci_device_group gives each downstream port and its endpoint their own group and peer requests go to the IOMMU, yet nic-a can forge nic-b\'s requester ID: the root port\'s SV passes buses 01-04.',
    { cap: ['SV', 'RR', 'CR', 'UF'], ctrl: ['RR', 'CR', 'UF'] },
    false,
    '111d:80b5',
  ),
  'thunderbolt-dock': {
    name: 'thunderbolt-dock',
    description:
      'A Thunderbolt dock: an Intel Thunderbolt 4 root port that firmware marks external-facing (ACPI _DSD ExternalFacingPort: pci_acpi_set_external_facing), the dock\'s PCIe switch (JHL8440, ACS on its downstream ports) and two endpoints below it, a 2.5GbE NIC and a USB controller. set_pcie_untrusted makes everything below the port untrusted: forced strict, bounce buffering, no ATS, Translation Blocking on the port.',
    rootPorts: [{ name: 'tbt-rp0', bdf: '00:07.0', id: '8086:9a23', acs: { cap: ['SV', 'TB', 'RR', 'CR', 'UF'], ctrl: ['SV', 'RR', 'CR', 'UF'] }, externalFacing: true }],
    switches: [
      {
        name: 'dock',
        parent: 'tbt-rp0',
        upstream: { bdf: '01:00.0', name: 'dock-usp', id: '8086:0b26' },
        ports: [
          { name: 'dock-dp0', bdf: '02:00.0', id: '8086:0b26', acs: ISOLATED },
          { name: 'dock-dp1', bdf: '02:01.0', id: '8086:0b26', acs: ISOLATED },
        ],
      },
    ],
    endpoints: [
      { name: 'dock-nic', parent: 'dock-dp0', functions: [{ bdf: '03:00.0', id: '8086:15f3', bars: [{ base: 0xa0000000, size: MB }] }] },
      { name: 'dock-xhci', parent: 'dock-dp1', functions: [{ bdf: '04:00.0', id: '8086:0b27', bars: [{ base: 0xa0200000, size: MB }] }] },
    ],
  },
  'sriov-nic': sriovNic(
    'sriov-nic',
    'An SR-IOV NIC (Intel X710 PF 01:00.0 without an ACS capability, VFs 01:02.0 and 01:02.1) below an isolated root port. Mainline pci_device_group gives the PF and each VF a group of its own (a VF has multifunction = 0, so pci_acs_enabled() is true), yet without ACS RR at the PF the VFs and the PF reach each other\'s BARs inside the device (PCIe r6.0 6.12.1.2), so I13 fails.',
    null,
  ),
  'sriov-nic-acs': sriovNic(
    'sriov-nic-acs',
    'The same SR-IOV NIC with the PF\'s ACS capability (RR, CR, UF) enabled: peer requests among the PF and its VFs are redirected upstream to the IOMMU, the separate groups are sound and I13 holds.',
    { cap: ['RR', 'CR', 'UF'], ctrl: ['RR', 'CR', 'UF'] },
  ),
};

function buildOrThrow(name: string, spec: TopologySpec): Topology {
  const r = buildTopology(spec);
  if (!r.ok) throw new Error(`builtin topology ${name}: ${r.problem.path}: expected ${r.problem.expected}, got ${r.problem.got}`);
  return r.topology;
}

/** The built-in topologies, built, by name. */
export const builtinTopologies: Readonly<Record<string, Topology>> = Object.fromEntries(
  Object.entries(BUILTIN_TOPOLOGY_SPECS).map(([n, s]) => [n, buildOrThrow(n, s)]),
);

/** Names of the built-in topologies, in definition order. */
export const BUILTIN_TOPOLOGY_NAMES: readonly string[] = Object.keys(BUILTIN_TOPOLOGY_SPECS);

/** Returns a built-in topology by name, or undefined. */
export function getBuiltinTopology(name: string): Topology | undefined {
  return builtinTopologies[name];
}
