/**
 * Device-specific ACS quirks: a subset of the `pci_dev_acs_enabled[]` table in
 * drivers/pci/quirks.c (gregkh/linux @ 018a3568, read for this model), with the
 * most common entries. Each callback returns -1 ("-ENOTTY"/"-ENODEV": no quirk
 * applies), 0 (the device does not provide the flags) or 1 (it does).
 */
import type { PciDevice, Topology } from './types.ts';
import { ACS } from './types.ts';
import { onRootBus, isPcie } from './pciTree.ts';

const SV_RR_CR_UF = ACS.SV | ACS.RR | ACS.CR | ACS.UF;

/** A quirk callback: -1 no quirk, 0 not provided, 1 provided. */
export type AcsQuirkFn = (topology: Topology, dev: PciDevice, flags: number) => number;

/** One row of the table: vendor, device (-1 = PCI_ANY_ID), callback, and its kernel name. */
export interface AcsQuirk {
  readonly vendor: number;
  readonly device: number;
  readonly name: string;
  readonly fn: AcsQuirkFn;
}

// quirks.c pci_acs_ctrl_enabled(): 1 if every requested control is provided.
const ctrlEnabled = (req: number, ena: number): number => ((req & ena) === req ? 1 : 0);

// quirks.c pci_quirk_amd_sb_acs(): multifunction devices on the root bus of an AMD
// southbridge, only when ACPI has an IVRS table; RR and CR are implied.
const amdSb: AcsQuirkFn = (t, dev, flags) => {
  if (!dev.multifunction || !onRootBus(t, dev)) return -1;
  if (!t.ivrs) return -1;
  const f = flags & (ACS.RR | ACS.CR | ACS.EC | ACS.DT);
  return ctrlEnabled(f, ACS.RR | ACS.CR);
};

// quirks.c pci_quirk_mf_endpoint_acs(): vendor-verified multifunction endpoints with
// no internal peer-to-peer.
const mfEndpoint: AcsQuirkFn = (_t, _dev, flags) =>
  ctrlEnabled(flags, ACS.SV | ACS.TB | ACS.RR | ACS.CR | ACS.UF | ACS.DT);

// quirks.c pci_quirk_rciep_acs(): Intel RCiEPs only do P2P on translated addresses.
const intelRciep: AcsQuirkFn = (_t, dev, flags) => (dev.kind !== 'rc_endpoint' ? -1 : ctrlEnabled(flags, SV_RR_CR_UF));

// quirks.c pci_quirk_intel_pch_acs_ids[]: PCH root ports without an ACS capability.
const INTEL_PCH_ACS_IDS: readonly number[] = [
  ...range(0x3b42, 0x3b51), // Ibexpeak
  ...range(0x1c10, 0x1c1f), // Cougarpoint
  ...range(0x1e10, 0x1e1f), // Pantherpoint
  ...range(0x8c10, 0x8c1f), // Lynxpoint-H
  ...range(0x9c10, 0x9c1b), // Lynxpoint-LP
  ...range(0x9c90, 0x9c9b), // Wildcat
  0x1d10, 0x1d12, 0x1d14, 0x1d16, 0x1d18, 0x1d1a, 0x1d1c, 0x1d1e, // Patsburg
  ...range(0x8d10, 0x8d1e), // Wellsburg
  0x8c90, 0x8c92, 0x8c94, 0x8c96, 0x8c98, 0x8c9a, 0x8c9c, 0x8c9e, // 9 series
];

// quirks.c pci_quirk_intel_pch_acs(). Simplification: we assume the enable side
// (pci_quirk_enable_intel_pch_acs) succeeded at boot, so PCI_DEV_FLAGS_ACS_ENABLED_QUIRK is set.
const intelPch: AcsQuirkFn = (_t, dev, flags) => {
  if (!isPcie(dev) || dev.kind !== 'root_port' || !INTEL_PCH_ACS_IDS.includes(dev.device)) return -1;
  return ctrlEnabled(flags, SV_RR_CR_UF);
};

// quirks.c pci_quirk_intel_spt_pch_acs_match(): Sunrise/Union Point and 7th/8th gen
// mobile root ports whose ACS control register sits at offset 8 (dword) not 6.
const INTEL_SPT_ACS_IDS: readonly number[] = [
  ...range(0xa110, 0xa11f), ...range(0xa167, 0xa16a), ...range(0xa290, 0xa29f), ...range(0xa2e7, 0xa2ee), ...range(0x9d10, 0x9d1b),
];

function isSptRootPort(dev: PciDevice): boolean {
  return isPcie(dev) && dev.kind === 'root_port' && INTEL_SPT_ACS_IDS.includes(dev.device);
}

// quirks.c pci_quirk_intel_spt_pch_acs(). lspci reads the control word at the
// standard offset and shows the wrong bits ("N.B. This doesn't fix what lspci
// shows"); the kernel's enable quirk sets SV/RR/CR/UF where the capability has them,
// so the effective control is cap & (SV|RR|CR|UF). Simplification: we assume that
// enable quirk ran at boot (no pci=noacs, no disable_acs_redir=).
const intelSpt: AcsQuirkFn = (_t, dev, flags) => {
  if (!isSptRootPort(dev)) return -1;
  if (dev.acs === null || dev.acs === 'unknown') return -1; // pci_find_ext_capability() found none
  const cap = dev.acs.cap;
  const f = flags & (cap | ACS.EC);
  return ctrlEnabled(f, cap & SV_RR_CR_UF);
};

// Root ports that isolate without an ACS capability: pci_quirk_qcom_rp_acs,
// pci_quirk_nxp_rp_acs, pci_quirk_xgene_acs, pci_quirk_brcm_acs (all return
// pci_acs_ctrl_enabled(flags, SV|RR|CR|UF) unconditionally).
const isolatedPort: AcsQuirkFn = (_t, _dev, flags) => ctrlEnabled(flags, SV_RR_CR_UF);

// quirks.c pci_quirk_cavium_acs(): ThunderX root ports.
const CAVIUM_RP_IDS: readonly number[] = [...range(0xa000, 0xa7ff), 0xaf84, 0xb884];
const cavium: AcsQuirkFn = (_t, dev, flags) => {
  if (!isPcie(dev) || dev.kind !== 'root_port') return -1;
  if (!CAVIUM_RP_IDS.includes(dev.device)) return -1;
  return ctrlEnabled(flags, SV_RR_CR_UF);
};

// quirks.c pci_quirk_al_acs(): Amazon Annapurna Labs root ports.
const annapurna: AcsQuirkFn = (_t, dev, flags) => {
  if (dev.kind !== 'root_port') return -1;
  return flags & ~SV_RR_CR_UF ? 0 : 1;
};

// quirks.c pci_quirk_zhaoxin_pcie_ports_acs(): returns false (0), not -ENOTTY, for
// other device IDs of a matching port type.
const ZHAOXIN_PORT_IDS: readonly number[] = [...range(0x0710, 0x071e), 0x0721, ...range(0x0723, 0x0732)];
const zhaoxinPorts: AcsQuirkFn = (_t, dev, flags) => {
  if (!isPcie(dev) || (dev.kind !== 'root_port' && dev.kind !== 'downstream_port')) return -1;
  return ZHAOXIN_PORT_IDS.includes(dev.device) ? ctrlEnabled(flags, SV_RR_CR_UF) : 0;
};

// quirks.c pci_quirk_wangxun_nic_acs(): also returns 0 for other devices.
const WANGXUN_NIC_IDS: readonly number[] = [...range(0x0100, 0x010f), 0x1001, 0x2001];
const wangxun: AcsQuirkFn = (_t, dev, flags) => {
  return WANGXUN_NIC_IDS.includes(dev.device) ? ctrlEnabled(flags, SV_RR_CR_UF) : 0;
};

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i <= b; i++) out.push(i);
  return out;
}

const ANY = -1;
const V = { ATI: 0x1002, AMD: 0x1022, SOLARFLARE: 0x1924, INTEL: 0x8086, QCOM: 0x17cb, HXT: 0x1dbf, CAVIUM: 0x177d, AMCC: 0x10e8, AMPERE: 0x1def, BROADCOM: 0x14e4, ANNAPURNA: 0x1c36, ZHAOXIN: 0x1d17, NXP: 0x1957, WANGXUN: 0x8088 };

const row = (vendor: number, device: number, name: string, fn: AcsQuirkFn): AcsQuirk => ({ vendor, device, name, fn });
const INTEL_MF = [
  0x10c6, 0x10db, 0x10dd, 0x10e1, 0x10f1, 0x10f7, 0x10f8, 0x10f9, 0x10fa, 0x10fb, 0x10fc, 0x1507, 0x1514, 0x151c, 0x1529,
  0x152a, 0x154d, 0x154f, 0x1551, 0x1558, 0x1509, 0x150e, 0x150f, 0x1510, 0x1511, 0x1516, 0x1527, 0x10c9, 0x10e6, 0x10e7,
  0x10e8, 0x150a, 0x150d, 0x1518, 0x1526, 0x10a7, 0x10a9, 0x10d6, 0x1521, 0x1522, 0x1523, 0x1524, 0x105e, 0x105f, 0x1060,
  0x10d9, 0x15b7, 0x15b8,
];

/** The modelled rows of `pci_dev_acs_enabled[]`, in kernel table order (first match >= 0 wins). */
export const ACS_QUIRKS: readonly AcsQuirk[] = [
  ...[0x4385, 0x439c, 0x4383, 0x439d, 0x4384, 0x4399].map((d) => row(V.ATI, d, 'pci_quirk_amd_sb_acs', amdSb)),
  row(V.AMD, 0x780f, 'pci_quirk_amd_sb_acs', amdSb),
  row(V.AMD, 0x7809, 'pci_quirk_amd_sb_acs', amdSb),
  ...[0x0903, 0x0923, 0x0a03].map((d) => row(V.SOLARFLARE, d, 'pci_quirk_mf_endpoint_acs', mfEndpoint)),
  ...INTEL_MF.map((d) => row(V.INTEL, d, 'pci_quirk_mf_endpoint_acs', mfEndpoint)),
  row(V.INTEL, ANY, 'pci_quirk_rciep_acs', intelRciep),
  ...[0x0400, 0x0401, 0x0115].map((d) => row(V.QCOM, d, 'pci_quirk_qcom_rp_acs', isolatedPort)),
  row(V.HXT, 0x0401, 'pci_quirk_qcom_rp_acs', isolatedPort),
  row(V.INTEL, ANY, 'pci_quirk_intel_pch_acs', intelPch),
  row(V.INTEL, ANY, 'pci_quirk_intel_spt_pch_acs', intelSpt),
  row(0x19a2, 0x0710, 'pci_quirk_mf_endpoint_acs', mfEndpoint),
  row(0x10df, 0x0720, 'pci_quirk_mf_endpoint_acs', mfEndpoint),
  row(V.CAVIUM, ANY, 'pci_quirk_cavium_acs', cavium),
  ...[0xa026, 0xa059, 0xa060].map((d) => row(V.CAVIUM, d, 'pci_quirk_mf_endpoint_acs', mfEndpoint)),
  row(V.AMCC, 0xe004, 'pci_quirk_xgene_acs', isolatedPort),
  ...range(0xe005, 0xe00c).map((d) => row(V.AMPERE, d, 'pci_quirk_xgene_acs', isolatedPort)),
  ...[0x16d7, 0x1750, 0x1751, 0x1752].map((d) => row(V.BROADCOM, d, 'pci_quirk_mf_endpoint_acs', mfEndpoint)),
  row(V.BROADCOM, 0xd714, 'pci_quirk_brcm_acs', isolatedPort),
  row(V.ANNAPURNA, 0x0031, 'pci_quirk_al_acs', annapurna),
  ...[0x3038, 0x3104, 0x9083].map((d) => row(V.ZHAOXIN, d, 'pci_quirk_mf_endpoint_acs', mfEndpoint)),
  ...[0x8d81, 0x8da1, 0x8d83, 0x8d80, 0x8da0, 0x8d82, 0x8d90, 0x8db0, 0x8d92, 0x8d91, 0x8db1, 0x8d93].map((d) =>
    row(V.NXP, d, 'pci_quirk_nxp_rp_acs', isolatedPort),
  ),
  row(V.ZHAOXIN, ANY, 'pci_quirk_zhaoxin_pcie_ports_acs', zhaoxinPorts),
  row(V.WANGXUN, ANY, 'pci_quirk_wangxun_nic_acs', wangxun),
];

/**
 * The device IDs that the callbacks of vendor-wide rows (device PCI_ANY_ID) test, per
 * vendor: what a name lookup (pciIdNames.ts) must know to recover those IDs.
 */
export const ACS_QUIRK_CALLBACK_IDS: readonly { readonly vendor: number; readonly name: string; readonly devices: readonly number[] }[] = [
  { vendor: V.INTEL, name: 'pci_quirk_intel_pch_acs', devices: INTEL_PCH_ACS_IDS },
  { vendor: V.INTEL, name: 'pci_quirk_intel_spt_pch_acs', devices: INTEL_SPT_ACS_IDS },
  { vendor: V.CAVIUM, name: 'pci_quirk_cavium_acs', devices: CAVIUM_RP_IDS },
  { vendor: V.ZHAOXIN, name: 'pci_quirk_zhaoxin_pcie_ports_acs', devices: ZHAOXIN_PORT_IDS },
  { vendor: V.WANGXUN, name: 'pci_quirk_wangxun_nic_acs', devices: WANGXUN_NIC_IDS },
];

/**
 * Mirrors `pci_dev_specific_acs_enabled()` (drivers/pci/quirks.c): the first matching
 * row whose callback returns >= 0 decides; -1 (-ENOTTY) when none does.
 */
export function pciDevSpecificAcsEnabled(topology: Topology, dev: PciDevice, flags: number): { result: number; quirk?: string } {
  for (const q of ACS_QUIRKS) {
    if ((q.vendor === dev.vendor || q.vendor === ANY) && (q.device === dev.device || q.device === ANY)) {
      const r = q.fn(topology, dev, flags);
      if (r >= 0) return { result: r, quirk: q.name };
    }
  }
  return { result: -1 };
}
