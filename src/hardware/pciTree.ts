/**
 * Navigation over a flat Topology the way the kernel walks `struct pci_bus`:
 * `dev->bus`, `bus->self` (the bridge above a bus), `pci_is_root_bus()`,
 * PCI_SLOT/PCI_FUNC, and the order devices are added (and probed by the IOMMU core).
 */
import type { DeviceKind, MemRange, PciDevice, Topology } from './types.ts';
import { BRIDGE_KINDS } from './types.ts';

/** Parses `"bb:dd.f"` (optionally with a `0000:` segment) into bus and devfn; null if malformed. */
export function parseBdf(text: string): { bus: number; devfn: number } | null {
  const m = /^(?:[0-9a-fA-F]{4}:)?([0-9a-fA-F]{2}):([0-1][0-9a-fA-F])\.([0-7])$/.exec(text.trim());
  if (!m) return null;
  const bus = parseInt(m[1]!, 16);
  const slot = parseInt(m[2]!, 16);
  if (slot > 0x1f) return null;
  return { bus, devfn: (slot << 3) | parseInt(m[3]!, 10) };
}

/** Formats bus and devfn as `"bb:dd.f"` (PCI_SLOT = devfn >> 3, PCI_FUNC = devfn & 7). */
export function formatBdf(bus: number, devfn: number): string {
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return `${hex(bus)}:${hex(devfn >> 3)}.${devfn & 7}`;
}

/** Bus number of a device (`dev->bus->number`). */
export function busOf(dev: PciDevice): number {
  return parseInt(dev.bdf.slice(0, 2), 16);
}

/** devfn of a device. */
export function devfnOf(dev: PciDevice): number {
  const b = dev.bdf;
  // The normal "bb:dd.f" form without a regex (this runs inside routing loops).
  if (b.length === 7 && b[2] === ':' && b[5] === '.') return (parseInt(b.slice(3, 5), 16) << 3) | (b.charCodeAt(6) - 48);
  return parseBdf(b)!.devfn;
}

/** PCI_SLOT(dev->devfn). */
export function slotOf(dev: PciDevice): number {
  return devfnOf(dev) >> 3;
}

/** True for kinds with a type 1 header (a secondary bus). */
export function isBridge(dev: PciDevice): boolean {
  return BRIDGE_KINDS.includes(dev.kind);
}

/** True when the function has an Express capability (`pci_is_pcie()`). */
export function isPcie(dev: PciDevice): boolean {
  return dev.kind !== 'pci_device' && dev.kind !== 'pci_bridge';
}

/**
 * Lookups over one topology's device list, built once and cached per list (topologies are
 * plain immutable data): by bdf, by name, the devices of each bus, and each bus's bridge.
 */
interface TopologyIndex {
  readonly count: number;
  readonly byBdf: ReadonlyMap<string, PciDevice>;
  readonly byName: ReadonlyMap<string, PciDevice>;
  /** Bus number → its devices, in topology order. */
  readonly onBus: ReadonlyMap<number, readonly PciDevice[]>;
  /** Bus number → its devices, in devfn order (lazily). */
  readonly onBusSorted: Map<number, readonly PciDevice[]>;
  /** Bus number → the first bridge whose secondary bus it is. */
  readonly busSelf: ReadonlyMap<number, PciDevice>;
}

const INDEXES = new WeakMap<readonly PciDevice[], TopologyIndex>();
const NONE: readonly PciDevice[] = [];

function indexOf(topology: Topology): TopologyIndex {
  const devices = topology.devices;
  const cached = INDEXES.get(devices);
  if (cached && cached.count === devices.length) return cached;
  const byBdf = new Map<string, PciDevice>();
  const byName = new Map<string, PciDevice>();
  const onBus = new Map<number, PciDevice[]>();
  const busSelfMap = new Map<number, PciDevice>();
  for (const d of devices) {
    if (!byBdf.has(d.bdf)) byBdf.set(d.bdf, d);
    if (!byName.has(d.name)) byName.set(d.name, d);
    const bus = busOf(d);
    const list = onBus.get(bus);
    if (list) list.push(d);
    else onBus.set(bus, [d]);
    if (isBridge(d) && d.secondary !== undefined && !busSelfMap.has(d.secondary)) busSelfMap.set(d.secondary, d);
  }
  const index: TopologyIndex = { count: devices.length, byBdf, byName, onBus, onBusSorted: new Map(), busSelf: busSelfMap };
  INDEXES.set(devices, index);
  return index;
}

/** Finds a device by bdf or by name. */
export function findDevice(topology: Topology, ref: string): PciDevice | undefined {
  const parsed = parseBdf(ref);
  const index = indexOf(topology);
  const byBdf = parsed ? index.byBdf.get(formatBdf(parsed.bus, parsed.devfn)) : undefined;
  return byBdf ?? index.byName.get(ref);
}

/** Like findDevice but throws a specific Error for a programming mistake. */
export function getDevice(topology: Topology, ref: string): PciDevice {
  const dev = findDevice(topology, ref);
  if (!dev) throw new Error(`no device ${ref} in topology ${topology.name}`);
  return dev;
}

/** `bus->self`: the bridge whose secondary bus is `bus`, or undefined for a root bus. */
export function busSelf(topology: Topology, bus: number): PciDevice | undefined {
  return indexOf(topology).busSelf.get(bus);
}

/** `pci_is_root_bus(dev->bus)`: no bridge leads to the device's bus. */
export function onRootBus(topology: Topology, dev: PciDevice): boolean {
  return busSelf(topology, busOf(dev)) === undefined;
}

/** `dev->bus->self`: the bridge directly above a device, if any. */
export function upstreamBridge(topology: Topology, dev: PciDevice): PciDevice | undefined {
  return busSelf(topology, busOf(dev));
}

/** The bridges from the device's parent up to the root bus, nearest first. */
export function bridgesToRoot(topology: Topology, dev: PciDevice): PciDevice[] {
  const out: PciDevice[] = [];
  let cur = upstreamBridge(topology, dev);
  while (cur && !out.includes(cur)) {
    out.push(cur);
    cur = upstreamBridge(topology, cur);
  }
  return out;
}

/** Devices on one bus, in topology order (the order `topology.devices` lists them). */
export function devicesOnBusInOrder(topology: Topology, bus: number): readonly PciDevice[] {
  return indexOf(topology).onBus.get(bus) ?? NONE;
}

/** Devices on one bus, in devfn order. */
export function devicesOnBus(topology: Topology, bus: number): readonly PciDevice[] {
  const index = indexOf(topology);
  let sorted = index.onBusSorted.get(bus);
  if (!sorted) {
    sorted = [...(index.onBus.get(bus) ?? NONE)].sort((a, b) => devfnOf(a) - devfnOf(b));
    index.onBusSorted.set(bus, sorted);
  }
  return sorted;
}

/** True if `dev` sits somewhere below `bridge` (its bus lies in secondary..subordinate). */
export function isBelow(dev: PciDevice, bridge: PciDevice): boolean {
  const bus = busOf(dev);
  return bridge.secondary !== undefined && bus >= bridge.secondary && bus <= (bridge.subordinate ?? bridge.secondary);
}

/**
 * The order the PCI core adds devices and therefore the order the IOMMU core probes
 * them: every device of a bus first, then each bridge's child bus in turn
 * (drivers/pci/bus.c `pci_bus_add_devices`). SR-IOV VFs come last, in bdf order: they
 * are added only when the PF driver enables SR-IOV (sriov_enable() → sriov_add_vfs() →
 * pci_iov_add_virtfn() → pci_bus_add_device(virtfn), drivers/pci/iov.c).
 */
export function kernelAddOrder(topology: Topology): PciDevice[] {
  const out: PciDevice[] = [];
  const seen = new Set<number>();
  const visit = (bus: number) => {
    if (seen.has(bus)) return;
    seen.add(bus);
    const devs = devicesOnBus(topology, bus).filter((d) => d.physfn === undefined);
    out.push(...devs);
    for (const d of devs) if (isBridge(d) && d.secondary !== undefined) visit(d.secondary);
  };
  const rootBuses = [...new Set(topology.devices.filter((d) => onRootBus(topology, d)).map(busOf))].sort((a, b) => a - b);
  for (const b of rootBuses) visit(b);
  // Anything unreachable (malformed bus numbers) goes next, in bdf order; then the VFs.
  const added = new Set(out);
  for (const d of topology.devices) if (!added.has(d) && d.physfn === undefined) out.push(d);
  for (const d of topology.devices) if (d.physfn !== undefined) out.push(d);
  return out;
}

/** True if the address lies in the range. */
export function inRange(addr: number, r: MemRange): boolean {
  return addr >= r.start && addr <= r.end;
}

/** Formats an address as `0x…` hex. */
export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** Human label of a device kind, as lspci prints it. */
export const KIND_LABEL: Record<DeviceKind, string> = {
  root_port: 'Root Port',
  upstream_port: 'Upstream Port',
  downstream_port: 'Downstream Port',
  endpoint: 'Endpoint',
  legacy_endpoint: 'Legacy Endpoint',
  rc_endpoint: 'Root Complex Integrated Endpoint',
  rc_event_collector: 'Root Complex Event Collector',
  pcie_to_pci_bridge: 'PCI-Express to PCI/PCI-X Bridge',
  pci_to_pcie_bridge: 'PCI/PCI-X to PCI-Express Bridge',
  pci_device: 'conventional PCI',
  pci_bridge: 'conventional PCI bridge',
};

/** `pdev->is_virtfn`: an SR-IOV Virtual Function. */
export function isVirtfn(dev: PciDevice): boolean {
  return dev.physfn !== undefined;
}

/** `pci_physfn(dev)`: the PF of a VF, or the device itself (drivers/pci/iov.c, include/linux/pci.h). */
export function pciPhysfn(topology: Topology, dev: PciDevice): PciDevice {
  return dev.physfn === undefined ? dev : (indexOf(topology).byBdf.get(dev.physfn) ?? dev);
}

/**
 * True when `a` and `b` are functions of one SR-IOV device: a PF and one of its VFs, or two VFs
 * of the same PF (a PF alone, with no VF of it involved, is not an SR-IOV pair).
 */
export function sameSriovDevice(topology: Topology, a: PciDevice, b: PciDevice): boolean {
  if (a === b || (a.physfn === undefined && b.physfn === undefined)) return false;
  return pciPhysfn(topology, a) === pciPhysfn(topology, b);
}
