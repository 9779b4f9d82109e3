/**
 * Plain-data types for a PCI(e) hierarchy as the kernel sees it: one record per
 * `struct pci_dev`, with the fields the grouping, routing and PASID code read.
 *
 * Everything here is JSON-plain (numbers, strings, arrays, records): no Map, Set
 * or class, so topologies can sit in model-checker snapshots unchanged.
 */

/** ACS capability/control bits, values as in include/uapi/linux/pci_regs.h (PCI_ACS_SV ...). */
export const ACS = {
  SV: 0x01,
  TB: 0x02,
  RR: 0x04,
  CR: 0x08,
  UF: 0x10,
  EC: 0x20,
  DT: 0x40,
} as const;

/** One ACS bit by its short name (SV, TB, RR, CR, UF, EC, DT). */
export type AcsBit = keyof typeof ACS;

/** The seven ACS bits in register order. */
export const ACS_BITS: readonly AcsBit[] = ['SV', 'TB', 'RR', 'CR', 'UF', 'EC', 'DT'];

/** `REQ_ACS_FLAGS` in drivers/iommu/iommu.c: SV | RR | CR | UF. */
export const REQ_ACS_FLAGS = ACS.SV | ACS.RR | ACS.CR | ACS.UF;

/** The ACS Extended Capability registers of one function, as bitmasks. */
export interface AcsRegs {
  readonly cap: number;
  readonly ctrl: number;
}

/**
 * ACS state of a function: the registers, `null` when the function has no ACS
 * capability (`pdev->acs_cap == 0`), or `'unknown'` when it could not be read
 * (lspci without root prints `<access denied>`).
 */
export type AcsState = AcsRegs | null | 'unknown';

/**
 * What kind of function this is: the PCIe port types of `pci_pcie_type()` plus the
 * two conventional (non-PCIe, `!pci_is_pcie()`) cases.
 */
export type DeviceKind =
  | 'root_port' // PCI_EXP_TYPE_ROOT_PORT
  | 'upstream_port' // PCI_EXP_TYPE_UPSTREAM
  | 'downstream_port' // PCI_EXP_TYPE_DOWNSTREAM
  | 'endpoint' // PCI_EXP_TYPE_ENDPOINT
  | 'legacy_endpoint' // PCI_EXP_TYPE_LEG_END
  | 'rc_endpoint' // PCI_EXP_TYPE_RC_END (root complex integrated endpoint)
  | 'rc_event_collector' // PCI_EXP_TYPE_RC_EC
  | 'pcie_to_pci_bridge' // PCI_EXP_TYPE_PCI_BRIDGE
  | 'pci_to_pcie_bridge' // PCI_EXP_TYPE_PCIE_BRIDGE
  | 'pci_device' // conventional PCI/PCI-X function (no Express capability)
  | 'pci_bridge'; // conventional PCI-to-PCI bridge (no Express capability)

/** Kinds that have a secondary bus (type 1 header). */
export const BRIDGE_KINDS: readonly DeviceKind[] = [
  'root_port',
  'upstream_port',
  'downstream_port',
  'pcie_to_pci_bridge',
  'pci_to_pcie_bridge',
  'pci_bridge',
];

/** An inclusive bus-address range `[start, end]` (numbers; exact below 2^53). */
export interface MemRange {
  readonly start: number;
  readonly end: number;
}

/** A memory BAR of a function. */
export interface Bar extends MemRange {
  readonly index: number;
}

/** Per-device flag quirks (`pdev->dev_flags` bits the alias walk reads). */
export interface DeviceFlags {
  /** PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT: the alias walk stops at this bridge. */
  readonly bridgeXlateRoot?: boolean;
  /** PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS: a conventional bridge aliases to (subordinate, 00.0). */
  readonly pcieBridgeAlias?: boolean;
  /** PCI_DEV_FLAGS_PCI_BRIDGE_NO_ALIAS: a PCIe-to-PCI bridge that does not alias. */
  readonly pciBridgeNoAlias?: boolean;
}

/** One PCI function (`struct pci_dev`). */
export interface PciDevice {
  /** Bus:device.function, lower-case hex, e.g. `"00:1c.0"` (one segment: no segment prefix). */
  readonly bdf: string;
  /** Human name; defaults to the bdf. */
  readonly name: string;
  readonly kind: DeviceKind;
  /** False when the kind was inferred from position (lspci `<access denied>`). */
  readonly kindKnown: boolean;
  /**
   * `pdev->multifunction` (header type bit 7), or inferred from sibling functions. Always false
   * for an SR-IOV VF: `pci_iov_add_virtfn()` (drivers/pci/iov.c) sets `virtfn->multifunction = 0`.
   */
  readonly multifunction: boolean;
  /**
   * SR-IOV: the bdf of this Virtual Function's Physical Function (`pdev->physfn`; present means
   * `pdev->is_virtfn`). The PF is a function of the same endpoint, on the same bus (VFs on a
   * virtual bus of their own, `pci_iov_virtfn_bus() > PF bus`, are not modelled).
   */
  readonly physfn?: string;
  readonly acs: AcsState;
  /** Memory BARs (I/O BARs are not modelled). */
  readonly bars: readonly Bar[];
  /** Bridges only: secondary and subordinate bus numbers. */
  readonly secondary?: number;
  readonly subordinate?: number;
  /** Bridges only: memory windows forwarded to the secondary side. */
  readonly windows?: readonly MemRange[];
  /** ATS and PASID capabilities present. */
  readonly ats: boolean;
  readonly pasid: boolean;
  /** `pdev->eetlp_prefix_path || pdev->pasid_no_tlp` (End-End TLP prefixes reach the root). */
  readonly eetlpPrefixPath: boolean;
  /** Vendor and device IDs (for quirks); -1 when unknown. */
  readonly vendor: number;
  readonly device: number;
  /** 24-bit class code (base, sub, prog-if); -1 when unknown. */
  readonly classCode: number;
  /** `pdev->dma_alias_mask`: devfns on the same bus this function also uses as requester ID. */
  readonly dmaAliases: readonly number[];
  readonly flags: DeviceFlags;
  /** An ACS quirk matches but the hardware does peer-to-peer anyway (a wrong quirk). */
  readonly quirkBroken: boolean;
  /**
   * `pdev->untrusted`: set by the topology file, or derived as set_pcie_untrusted
   * (drivers/pci/probe.c) does at probe: the upstream bridge is untrusted or external-facing.
   */
  readonly untrusted: boolean;
  /** `pdev->external_facing`: a root port firmware marks as facing external devices (ExternalFacingPort); absent = false. */
  readonly externalFacing?: boolean;
  /** Driver bound, as recorded (informational). */
  readonly driver?: string;
  /** `IOMMU group:` number recorded by lspci, when present. */
  readonly recordedGroup?: number;
}

/** A whole hierarchy: flat list of functions on one PCI segment, sorted by bdf. */
export interface Topology {
  readonly name: string;
  readonly description?: string;
  readonly devices: readonly PciDevice[];
  /** ACPI IVRS present (AMD IOMMU); read by the AMD southbridge ACS quirk. */
  readonly ivrs: boolean;
  /**
   * The root complex routes peer-to-peer between root ports of different slots (and
   * to root-bus functions) when the ingress root port lacks ACS RR. Default false:
   * most root complexes send such requests to the IOMMU, which is also what
   * pci_device_group assumes when it gives each root-bus slot its own group.
   */
  readonly rcPeerToPeer: boolean;
}
