/**
 * DMA aliases: mirrors `pci_for_each_dma_alias()` and `pci_devs_are_dma_aliases()`
 * (drivers/pci/search.c), plus a few header quirks from drivers/pci/quirks.c that
 * set `dma_alias_mask` or the bridge alias flags.
 */
import type { DeviceFlags, PciDevice, Topology } from './types.ts';
import { busOf, devfnOf, formatBdf, isPcie, onRootBus, upstreamBridge } from './pciTree.ts';

/** One visit of the alias walk: the device visited and the requester ID it stands for. */
export interface DmaAlias {
  /** bdf of the `pdev` handed to the callback. */
  readonly device: string;
  /** The requester ID (`bb:dd.f`) the IOMMU may see. */
  readonly rid: string;
}

/**
 * Mirrors `pci_for_each_dma_alias()` (drivers/pci/search.c): the device's own RID;
 * each devfn of its dma_alias_mask on its bus; then each bridge up to the root:
 * stop at PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT; PCIe root/upstream/downstream ports do
 * not alias; a PCIe-to-PCI bridge aliases to (secondary bus, 00.0) unless
 * PCI_DEV_FLAGS_PCI_BRIDGE_NO_ALIAS; a PCI-to-PCIe bridge to its own RID; a
 * conventional bridge to its own RID, or with PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS to
 * (subordinate bus, 00.0). Simplification: `pci_real_dma_dev()` (VMD) is not modelled.
 * The kernel's walk never skips, so we return the whole list; callers stop where they like.
 */
export function pciForEachDmaAlias(topology: Topology, dev: PciDevice): DmaAlias[] {
  const out: DmaAlias[] = [{ device: dev.bdf, rid: dev.bdf }];
  for (const devfn of dev.dmaAliases) out.push({ device: dev.bdf, rid: formatBdf(busOf(dev), devfn) });
  let cur: PciDevice = dev;
  while (!onRootBus(topology, cur)) {
    const tmp = upstreamBridge(topology, cur);
    if (!tmp) break;
    if (tmp.flags.bridgeXlateRoot) return out;
    if (isPcie(tmp)) {
      switch (tmp.kind) {
        case 'root_port':
        case 'upstream_port':
        case 'downstream_port':
          break;
        case 'pcie_to_pci_bridge':
          // Bridge spec 1.0 sec 2.3: downstream traffic uses (secondary bus, devfn 0).
          if (!tmp.flags.pciBridgeNoAlias) out.push({ device: tmp.bdf, rid: formatBdf(tmp.secondary ?? 0, 0) });
          break;
        case 'pci_to_pcie_bridge':
          out.push({ device: tmp.bdf, rid: tmp.bdf });
          break;
        default:
          break;
      }
    } else if (tmp.flags.pcieBridgeAlias) {
      out.push({ device: tmp.bdf, rid: formatBdf(tmp.subordinate ?? tmp.secondary ?? 0, 0) });
    } else {
      out.push({ device: tmp.bdf, rid: tmp.bdf });
    }
    cur = tmp;
  }
  return out;
}

/**
 * Mirrors `pci_devs_are_dma_aliases()` (drivers/pci/search.c): same bus and either
 * device's dma_alias_mask names the other's devfn.
 */
export function pciDevsAreDmaAliases(a: PciDevice, b: PciDevice): boolean {
  if (busOf(a) !== busOf(b)) return false;
  return a.dmaAliases.includes(devfnOf(b)) || b.dmaAliases.includes(devfnOf(a));
}

/** The requester ID the IOMMU sees for a request from `dev`: the last RID of the alias walk. */
export function requesterIdAtRoot(topology: Topology, dev: PciDevice): string {
  const aliases = pciForEachDmaAlias(topology, dev).filter((a) => a.device !== dev.bdf);
  return aliases.length > 0 ? aliases[aliases.length - 1]!.rid : dev.bdf;
}

/** A header quirk from drivers/pci/quirks.c that adds DMA aliases or bridge alias flags. */
interface DmaAliasQuirk {
  readonly vendor: number;
  readonly devices: readonly number[];
  readonly name: string;
  readonly apply: (devfn: number) => { aliases?: number[]; flags?: DeviceFlags };
}

const func0: DmaAliasQuirk['apply'] = (devfn) => ((devfn & 7) !== 0 ? { aliases: [devfn & ~7] } : {});
const func1: DmaAliasQuirk['apply'] = (devfn) => ((devfn & 7) !== 1 ? { aliases: [(devfn & ~7) | 1] } : {});
const bridgeAlias: DmaAliasQuirk['apply'] = () => ({ flags: { pcieBridgeAlias: true } });

/**
 * A subset of the DMA alias header quirks: quirk_dma_func0_alias (Ricoh),
 * quirk_dma_func1_alias (Marvell SATA) and quirk_use_pcie_bridge_dma_alias
 * (ASMedia ASM1083/1085, Tundra, ITE, Intel 82801 PCI bridge).
 */
export const DMA_ALIAS_QUIRKS: readonly DmaAliasQuirk[] = [
  { vendor: 0x1180, devices: [0xe832, 0xe476], name: 'quirk_dma_func0_alias', apply: func0 },
  { vendor: 0x1b4b, devices: [0x9123, 0x9125, 0x9128, 0x9130, 0x9172, 0x917a, 0x9182, 0x9230], name: 'quirk_dma_func1_alias', apply: func1 },
  { vendor: 0x1b21, devices: [0x1080], name: 'quirk_use_pcie_bridge_dma_alias', apply: bridgeAlias },
  { vendor: 0x10e3, devices: [0x8113], name: 'quirk_use_pcie_bridge_dma_alias', apply: bridgeAlias },
  { vendor: 0x1283, devices: [0x8892, 0x8893], name: 'quirk_use_pcie_bridge_dma_alias', apply: bridgeAlias },
  { vendor: 0x8086, devices: [0x244e], name: 'quirk_use_pcie_bridge_dma_alias', apply: bridgeAlias },
];

/** Applies the DMA alias header quirks to a device's identity, returning extra aliases and flags. */
export function dmaAliasQuirksFor(vendor: number, device: number, devfn: number): { aliases: number[]; flags: DeviceFlags; quirks: string[] } {
  let aliases: number[] = [];
  let flags: DeviceFlags = {};
  const quirks: string[] = [];
  for (const q of DMA_ALIAS_QUIRKS) {
    if (q.vendor === vendor && q.devices.includes(device)) {
      const r = q.apply(devfn);
      aliases = [...aliases, ...(r.aliases ?? [])];
      flags = { ...flags, ...(r.flags ?? {}) };
      quirks.push(q.name);
    }
  }
  return { aliases, flags, quirks };
}
