/**
 * Which PCIe requester IDs (bus:devfn) a function can put on the wire and the IOMMU
 * can see, and which of them select the IOMMU context of a device in another group.
 *
 * Three ways a RID leaves a function:
 *  - own: its bdf. PCIe r6.0 sec 2.2.6.2: a function captures bus and device numbers
 *    from Type 0 config writes and uses them as Requester ID.
 *  - alias: every other RID of `pci_for_each_dma_alias()` (drivers/pci/search.c, mirrored
 *    in dmaAlias.ts): dma_alias_mask devfns (quirk_dma_func0_alias, quirk_dma_func1_alias),
 *    a PCIe-to-PCI bridge taking over as (secondary bus, 00.0) unless
 *    PCI_DEV_FLAGS_PCI_BRIDGE_NO_ALIAS, a PCI/PCI-X-to-PCIe or conventional bridge's own
 *    RID, PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS (subordinate bus, 00.0).
 *  - forged: a function under user control (VFIO) can put any RID in its TLPs. ACS Source
 *    Validation (PCIe r6.0 sec 6.12.1.1, ACS at Downstream Ports, i.e. root ports and switch
 *    downstream ports) checks only that the RID's bus lies in the port's
 *    secondary..subordinate range. The lowest port with SV on the path therefore bounds what
 *    gets through; without one, everything does. drivers/iommu/iommu.c requires SV in
 *    REQ_ACS_FLAGS ("devices cannot spoof their requester ID") before it isolates a path.
 *
 * Rules and simplifications, said plainly:
 *  - SV at a port is judged as routeMemoryRequest judges it: acsBitActive(port, 'SV').
 *    A quirk's word counts unless `quirkBroken`; 'unknown' ACS follows `policy.assumeUnknown`;
 *    `policy.acsOverride` is ignored (it changes the grouping, not the hardware). An SV bit
 *    missing from ACSCap counts as hard-wired on (pci_acs_flags_enabled(): "Features missing
 *    from the capability field can therefore be assumed as hard-wired enabled"). So a port
 *    must be given its real registers: the IDT 0x80b5 switch of the 2026 quirk
 *    pci_disable_broken_acs_cap() (<20260102-pci_acs-v3-3-72280b94d288@oss.qualcomm.com>)
 *    shows SrcValid+ in ACSCap and SrcValid- in ACSCtl; the kernel's cached
 *    acs_capabilities without SV is not modelled (acs.ts reads the register).
 *  - SV checks the bus number only, so it cannot separate the functions that share a link.
 *    Those belong to one physical device (a PCIe link below a port carries one device: its
 *    functions, ARI functions and SR-IOV VFs), and a function is not taken to forge the IDs of
 *    its own device: the kernel's grouping trusts a device's functions not to present each
 *    other's IDs (pci_acs_enabled() treats a single-function device and a VF as isolated; a
 *    multifunction device's own ACS P2P bits govern its functions), and a device that did would
 *    be compromised whole. Root-bus functions in the same slot count as one device too.
 *  - Upstream ports do no SV. The root complex does none of its own: past a root port
 *    without SV, and for root-bus functions (RCiEPs, integrated functions) with no port
 *    above them, every RID is taken to pass (real root complexes may tag integrated
 *    functions with a fixed RID; that is implementation-specific).
 *  - Conventional PCI carries no requester ID: the bridge supplies one (the alias). A
 *    conventional function, or anything below a PCIe-to-PCI, PCI-to-PCIe or conventional
 *    bridge, forges nothing. PCI-X attribute phases (which carry a RID) are not modelled.
 *  - Forged entries name only RIDs the IOMMU has a context for: each device's bdf and each
 *    RID of its alias walk. Other RIDs hit no context entry (a fault), so are omitted.
 *  - Routing of forged requests is not modelled here: a forged RID only matters if the
 *    request reaches the IOMMU (an address no peer window claims, or ACS RR/UF sending it
 *    up; routeMemoryRequest takes `requesterId` for that).
 *  - Any function can be asked; in this model only non-bridge functions master DMA
 *    (reachability.ts dmaRequesters), but ports' RIDs are targets (their group's domain).
 *  - Not modelled: interrupt remapping (an MSI write with a forged RID against the IRTE
 *    source-id check), PASID, ATS-translated requests (ACS TB), completions (SV never
 *    applies to them), PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT for forging, pci_real_dma_dev().
 */
import type { AcsPolicy } from './acs.ts';
import { KERNEL_ACS_POLICY, acsBitActive } from './acs.ts';
import type { Grouping } from './deriveGroups.ts';
import { dmaAliasQuirksFor, pciForEachDmaAlias } from './dmaAlias.ts';
import type { PciDevice, Topology } from './types.ts';
import { KIND_LABEL, bridgesToRoot, getDevice, isPcie, parseBdf } from './pciTree.ts';

/** One requester ID a function can emit. */
export interface EmittedRid {
  /** `"bb:dd.f"`. */
  readonly rid: string;
  readonly how: 'own' | 'alias' | 'forged';
  /** Kernel words: which quirk, bridge, or missing ACS SV at which port. */
  readonly note: string;
}

/** An alias or forged RID of `from` that selects the IOMMU context of a device in another group. */
export interface RidCrossing {
  readonly from: string;
  readonly rid: string;
  /** bdf of the device that RID belongs to (its own or a DMA alias of it), or the RID itself. */
  readonly owner: string;
  readonly how: 'alias' | 'forged';
  readonly note: string;
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');
const portLabel = (d: PciDevice) => `${d.bdf} (${KIND_LABEL[d.kind].toLowerCase()})`;

/** Kernel words for one step of the alias walk that is not the device's own RID. */
function aliasNote(topology: Topology, dev: PciDevice, aliasDevice: string, rid: string): string {
  if (aliasDevice === dev.bdf) {
    const devfn = parseBdf(rid)!.devfn;
    const q = dmaAliasQuirksFor(dev.vendor, dev.device, parseBdf(dev.bdf)!.devfn);
    const src = q.aliases.includes(devfn) ? q.quirks.join(', ') : 'dma_alias_mask from the topology';
    return `dma_alias_mask devfn ${rid.slice(3)} on bus ${rid.slice(0, 2)} (${src}); pci_for_each_dma_alias visits it`;
  }
  const b = getDevice(topology, aliasDevice);
  if (b.kind === 'pcie_to_pci_bridge') return `PCIe-to-PCI bridge ${b.bdf} takes over the requester ID as (secondary bus, 00.0) = ${rid} (pci_for_each_dma_alias)`;
  if (b.kind === 'pci_to_pcie_bridge') return `PCI/PCI-X-to-PCIe bridge ${b.bdf} forwards with its own requester ID ${rid} (pci_for_each_dma_alias)`;
  if (b.flags.pcieBridgeAlias) return `conventional bridge ${b.bdf} with PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS (quirk_use_pcie_bridge_dma_alias): (subordinate bus, 00.0) = ${rid}`;
  return `conventional PCI bridge ${b.bdf} forwards with its own requester ID ${rid} (pci_for_each_dma_alias)`;
}

/** Where forging stops on the way up: a RID-supplying bridge, the lowest port with SV, or nowhere. */
type Boundary =
  | { readonly kind: 'bridge'; readonly at: PciDevice | null }
  | { readonly kind: 'port'; readonly port: PciDevice; readonly skipped: readonly PciDevice[] }
  | { readonly kind: 'root'; readonly skipped: readonly PciDevice[] };

function forgeBoundary(topology: Topology, dev: PciDevice, policy: AcsPolicy): Boundary {
  if (!isPcie(dev)) return { kind: 'bridge', at: null };
  const skipped: PciDevice[] = [];
  for (const b of bridgesToRoot(topology, dev)) {
    if (!isPcie(b) || b.kind === 'pcie_to_pci_bridge' || b.kind === 'pci_to_pcie_bridge') return { kind: 'bridge', at: b };
    if (b.kind !== 'root_port' && b.kind !== 'downstream_port') continue; // upstream ports do no SV
    if (acsBitActive(topology, b, 'SV', policy)) return { kind: 'port', port: b, skipped };
    skipped.push(b);
  }
  return { kind: 'root', skipped };
}

/** The RID owners of a topology and the RIDs in bus:devfn order, computed once per device list. */
interface RidIndex {
  readonly count: number;
  readonly owners: ReadonlyMap<string, string>;
  readonly sorted: readonly { readonly rid: string; readonly bus: number; readonly devfn: number }[];
}
const RID_INDEXES = new WeakMap<readonly PciDevice[], RidIndex>();

/**
 * Every RID the IOMMU has a context for, with the device it belongs to: each device's own
 * bdf first, then each RID of its pci_for_each_dma_alias walk (owned by the pdev visited).
 */
function ridIndex(topology: Topology): RidIndex {
  const cached = RID_INDEXES.get(topology.devices);
  if (cached && cached.count === topology.devices.length) return cached;
  const owners = new Map<string, string>();
  for (const d of topology.devices) owners.set(d.bdf, d.bdf);
  for (const d of topology.devices) {
    for (const a of pciForEachDmaAlias(topology, d)) if (!owners.has(a.rid)) owners.set(a.rid, a.device);
  }
  const sorted = [...owners.keys()].map((rid) => ({ rid, ...parseBdf(rid)! })).sort((x, y) => x.bus - y.bus || x.devfn - y.devfn);
  const index = { count: topology.devices.length, owners, sorted };
  RID_INDEXES.set(topology.devices, index);
  return index;
}

/** One emittable RID with its note built on demand (a large topology has many forged RIDs). */
interface LazyRid {
  readonly rid: string;
  readonly how: EmittedRid['how'];
  readonly note: () => string;
}

/** emittableRequesterIds with lazy notes. */
function emitted(topology: Topology, dev: PciDevice, policy: AcsPolicy): LazyRid[] {
  const out: LazyRid[] = [];
  const seen = new Set<string>();
  const add = (e: LazyRid) => {
    if (seen.has(e.rid)) return;
    seen.add(e.rid);
    out.push(e);
  };
  const conventional = !isPcie(dev);
  const own = conventional
    ? 'own bdf; a conventional PCI bus carries no requester ID, but pci_for_each_dma_alias visits it first and the IOMMU maps it'
    : 'own requester ID (bus and device captured from Type 0 config writes, PCIe r6.0 sec 2.2.6.2)';
  add({ rid: dev.bdf, how: 'own', note: () => own });
  for (const a of pciForEachDmaAlias(topology, dev)) {
    if (a.rid !== dev.bdf) add({ rid: a.rid, how: 'alias', note: () => aliasNote(topology, dev, a.device, a.rid) });
  }

  const bound = forgeBoundary(topology, dev, policy);
  if (bound.kind === 'bridge') return out;
  const noSv = bound.skipped.length > 0 ? `no ACS SV at ${bound.skipped.map(portLabel).join(', ')}; ` : '';
  let inRange: (bus: number) => boolean;
  let where: string;
  if (bound.kind === 'port') {
    const lo = bound.port.secondary ?? 0;
    const hi = bound.port.subordinate ?? lo;
    inRange = (bus) => bus >= lo && bus <= hi;
    const range = lo === hi ? `bus ${hex2(lo)}` : `buses ${hex2(lo)}-${hex2(hi)}`;
    where = `${noSv}ACS SV at ${portLabel(bound.port)} checks only the bus number and passes ${range}`;
  } else {
    inRange = () => true;
    const above = bridgesToRoot(topology, dev).length === 0 ? 'root-bus function, no downstream port above it; ' : noSv;
    where = `${above}the root complex does no source validation of its own and sees any requester ID`;
  }
  const { owners, sorted } = ridIndex(topology);
  const mine = parseBdf(dev.bdf)!;
  const belowABridge = bridgesToRoot(topology, dev).length > 0;
  const ownDevice = (r: { bus: number; devfn: number }) => r.bus === mine.bus && (belowABridge || r.devfn >> 3 === mine.devfn >> 3);
  const forgedNote = (rid: string) => () => {
    const owner = owners.get(rid)!;
    const whose = owner === rid ? `${rid} is ${getDevice(topology, rid).name}'s requester ID` : `${rid} is a DMA alias of ${owner}`;
    return `${where}: ${whose}`;
  };
  for (const r of sorted) if (inRange(r.bus) && !ownDevice(r)) add({ rid: r.rid, how: 'forged', note: forgedNote(r.rid) });
  return out;
}

/**
 * The requester IDs `device` (bdf or name) can put on the wire and have reach the IOMMU:
 * its own, its DMA aliases, and the RIDs of the topology it can forge past ACS SV.
 * Own first, then aliases in walk order, then forged RIDs by bus:devfn.
 */
export function emittableRequesterIds(topology: Topology, device: string, policy: AcsPolicy = KERNEL_ACS_POLICY): EmittedRid[] {
  return emitted(topology, getDevice(topology, device), policy).map((e) => ({ rid: e.rid, how: e.how, note: e.note() }));
}

/** The crossings of `dev`: the first `keep` with their notes, and how many there are in all. */
function crossingsOf(topology: Topology, grouping: Grouping, dev: PciDevice, policy: AcsPolicy, keep: number): { list: RidCrossing[]; count: number } {
  const mine = grouping.groupOf[dev.bdf];
  const { owners } = ridIndex(topology);
  const list: RidCrossing[] = [];
  let count = 0;
  for (const e of emitted(topology, dev, policy)) {
    if (e.how === 'own') continue;
    const owner = owners.get(e.rid) ?? e.rid;
    const g = grouping.groupOf[owner];
    if (g === undefined || g === mine) continue;
    if (count++ >= keep) continue;
    list.push({ from: dev.bdf, rid: e.rid, owner, how: e.how as RidCrossing['how'], note: `${e.note()} (group ${g}, ${dev.bdf} is in group ${mine ?? 'none'})` });
  }
  return { list, count };
}

/**
 * The alias and forged RIDs of `device` that select the IOMMU context of a device in a
 * different group of `grouping` (groupOf keyed by bdf; an alias RID maps to the device
 * whose alias it is). Sharing a context entry means sharing that group's domain.
 */
export function ridsIntoOtherGroups(topology: Topology, grouping: Grouping, device: string, policy: AcsPolicy = KERNEL_ACS_POLICY): RidCrossing[] {
  return crossingsOf(topology, grouping, getDevice(topology, device), policy, Infinity).list;
}

/**
 * ridsIntoOtherGroups of every function in `devices`, in order, keeping the first `keep`
 * crossings (all by default) and counting all of them: a topology without ACS SV has one
 * crossing for nearly every pair of functions, so a caller that shows a few keeps a few.
 */
export function ridCrossings(topology: Topology, grouping: Grouping, devices: readonly PciDevice[], keep = Infinity, policy: AcsPolicy = KERNEL_ACS_POLICY): { list: RidCrossing[]; count: number } {
  const list: RidCrossing[] = [];
  let count = 0;
  for (const d of devices) {
    const r = crossingsOf(topology, grouping, d, policy, keep - list.length);
    for (const c of r.list) list.push(c);
    count += r.count;
  }
  return { list, count };
}
