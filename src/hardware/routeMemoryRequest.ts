/**
 * Address routing of one upstream memory request through the fabric, hop by hop,
 * with the effect of each ACS control at each port (kernel-semantics.md 3.4/3.5).
 *
 * There is no kernel function for this: it is the PCIe behaviour the kernel's
 * grouping (pci_device_group) and PASID gate (pci_enable_pasid) reason about.
 * Simplifications, said plainly:
 *  - Switches and the root complex route by address only; the PASID prefix is ignored.
 *  - Completions are not modelled, so ACS CR has no routing effect here.
 *  - ACS EC is modelled as an egress vector that blocks every peer port.
 *  - ACS-Enhanced targets (switch-port BARs, unclaimed window gaps) follow plain RR,
 *    as Linux assumes; a switch upstream port's own BAR is claimed as the request passes.
 *  - The root bus is not a shared bus: its functions (host bridges, root ports, RCiEPs,
 *    integrated conventional functions) are parts of the root complex, and what one of
 *    them issues enters the root complex. The root complex routes peer-to-peer only
 *    between functions of one multifunction device (a root port lacking RR, or a
 *    requester function lacking RR: pci_acs_enabled() is false for it, so
 *    get_pci_function_alias_group() joins them), and between slots only when
 *    `topology.rcPeerToPeer` is set: pci_device_group() gives root-bus slots groups of
 *    their own, i.e. it assumes the root complex keeps them apart. Everything else
 *    goes to the IOMMU.
 *  - Bridges and ports do not master DMA of their own.
 *  - SR-IOV: a PF and its VFs are one device. A request from a VF to the BAR of its PF or
 *    of a sibling VF, or from a PF to one of its VFs' BARs, is routed inside the device
 *    (`peer-internal`) unless the PF has ACS RR active, per PCIe r6.0 sec 6.12.1.2 (ACS for
 *    SR-IOV, SIOV and Multi-Function Devices: the PF's ACS capability governs peer requests
 *    among the PF and its VFs); a VF that has an ACS capability of its own with RR active
 *    redirects its own requests too (ACS is an egress control). Redirected requests go
 *    upstream like any other. Requests from a VF to other functions (another PF of a
 *    multifunction device, its VFs) are not routed internally.
 */
import type { AcsPolicy } from './acs.ts';
import { KERNEL_ACS_POLICY, acsBitActive } from './acs.ts';
import { requesterIdAtRoot } from './dmaAlias.ts';
import type { PciDevice, Topology } from './types.ts';
import { busOf, devicesOnBus, getDevice, hex, inRange, isBridge, isPcie, parseBdf, pciPhysfn, sameSriovDevice, slotOf, upstreamBridge } from './pciTree.ts';

/** One upstream memory request TLP. */
export interface MemoryRequest {
  /** bdf or name of the function issuing the request. */
  readonly requester: string;
  readonly address: number;
  /** PASID TLP prefix, if any (routing ignores it; the IOMMU uses it). */
  readonly pasid?: number;
  /** Address Type "translated" (an ATS-translated request). */
  readonly translated?: boolean;
  /** A spoofed requester ID (what ACS SV checks); defaults to the requester's own. */
  readonly requesterId?: string;
}

/** What happened at one hop. */
export type HopAction =
  | 'issue'
  | 'peer-internal'
  | 'shared-bus'
  | 'forward-upstream'
  | 'redirect-upstream'
  | 'reflect-down'
  | 'route-peer'
  | 'route-down'
  | 'claim'
  | 'block'
  | 'to-iommu'
  | 'unclaimed';

/** One hop of the path. */
export interface Hop {
  readonly at: string;
  readonly action: HopAction;
  readonly note: string;
}

/** Where the request ended. */
export type RouteOutcome =
  | { readonly kind: 'peer'; readonly target: string; readonly bar: number }
  | { readonly kind: 'iommu'; readonly rid: string; readonly address: number; readonly translated: boolean; readonly pasid: number | null }
  | { readonly kind: 'blocked'; readonly at: string; readonly bit: 'SV' | 'TB' | 'EC' }
  | { readonly kind: 'unclaimed'; readonly at: string };

/** The path and the outcome. */
export interface RouteResult {
  readonly hops: readonly Hop[];
  readonly outcome: RouteOutcome;
}

const barAt = (d: PciDevice, addr: number) => d.bars.find((b) => inRange(addr, b));
const windowAt = (d: PciDevice, addr: number) => isBridge(d) && (d.windows ?? []).some((w) => inRange(addr, w));

/** The address tests of one route: which BAR of `d` holds the address, and whether a window of `d` does. */
interface Hits {
  readonly barHit: (d: PciDevice, addr: number) => ReturnType<typeof barAt>;
  readonly windowHit: (d: PciDevice, addr: number) => boolean;
}

/** Follows bridge windows down from `bridge` to the function whose BAR claims `addr`. */
function routeDown(topology: Topology, bridge: PciDevice, addr: number, hops: Hop[], skip: PciDevice, { barHit, windowHit }: Hits): RouteOutcome {
  let cur = bridge;
  for (let depth = 0; depth < 64; depth++) {
    const devs = devicesOnBus(topology, cur.secondary ?? -1).filter((d) => d !== skip);
    const claimer = devs.find((d) => barHit(d, addr));
    if (claimer) {
      const bar = barHit(claimer, addr)!;
      hops.push({ at: claimer.bdf, action: 'claim', note: `BAR${bar.index} ${hex(bar.start)}-${hex(bar.end)} claims ${hex(addr)}` });
      return { kind: 'peer', target: claimer.bdf, bar: bar.index };
    }
    const next = devs.find((d) => windowHit(d, addr));
    if (!next) {
      hops.push({ at: cur.bdf, action: 'unclaimed', note: `no function below ${cur.bdf} claims ${hex(addr)}` });
      return { kind: 'unclaimed', at: cur.bdf };
    }
    hops.push({ at: next.bdf, action: 'route-down', note: `${hex(addr)} is inside the window of ${next.bdf}` });
    cur = next;
  }
  return { kind: 'unclaimed', at: cur.bdf };
}

/**
 * Routes a memory request from its requester to where it lands: a peer's BAR
 * (peer-to-peer, the IOMMU never sees it), the IOMMU at the root complex, a block by
 * an ACS control, or nowhere. Pure; `policy` only matters for unreadable ACS.
 */
export function routeMemoryRequest(topology: Topology, request: MemoryRequest, policy: AcsPolicy = KERNEL_ACS_POLICY): RouteResult {
  return routeWatched(topology, request, policy);
}

/**
 * routeMemoryRequest, telling `watch` each device whose BARs or windows the route compares the
 * address with. Every branch of the route that depends on the address goes through those
 * tests, so another address that none of the watched devices' BARs or windows holds takes the
 * same branches: the same hops (but for the address in their notes) and the same outcome kind.
 * reachability.ts uses that to route each requester once for all such targets.
 */
export function routeWatched(topology: Topology, request: MemoryRequest, policy: AcsPolicy, watch?: (d: PciDevice) => void): RouteResult {
  const hits: Hits = watch
    ? {
        barHit: (d, a) => {
          watch(d);
          return barAt(d, a);
        },
        windowHit: (d, a) => {
          watch(d);
          return windowAt(d, a);
        },
      }
    : { barHit: barAt, windowHit: windowAt };
  const { barHit, windowHit } = hits;
  const dev = getDevice(topology, request.requester);
  const addr = request.address;
  const translated = request.translated === true;
  const hops: Hop[] = [];
  const done = (outcome: RouteOutcome): RouteResult => ({ hops, outcome });
  const kindText = `${translated ? 'translated' : 'untranslated'}${request.pasid !== undefined ? ` PASID ${request.pasid}` : ''}`;
  hops.push({ at: dev.bdf, action: 'issue', note: `${kindText} memory request to ${hex(addr)}` });
  const active = (d: PciDevice, bit: 'SV' | 'TB' | 'RR' | 'UF' | 'EC' | 'DT') => acsBitActive(topology, d, bit, policy);
  const redirects = (d: PciDevice) => active(d, 'RR') && !(translated && active(d, 'DT'));

  const parent = upstreamBridge(topology, dev);
  const conventionalBus = parent !== undefined && (!isPcie(parent) || !isPcie(dev));
  const sameBus = devicesOnBus(topology, busOf(dev)).filter((d) => d !== dev);

  // A conventional PCI bus is shared: every device on it sees the transaction.
  if (conventionalBus) {
    for (const s of sameBus) {
      if (barHit(s, addr) || windowHit(s, addr)) {
        hops.push({ at: s.bdf, action: 'shared-bus', note: 'conventional PCI bus: no ACS, every device sees the transaction' });
        if (barHit(s, addr)) return finishClaim(s, addr, hops);
        return done(routeDown(topology, s, addr, hops, dev, hits));
      }
    }
  }
  // Inside an SR-IOV device: the PF's ACS RR decides (PCIe r6.0 sec 6.12.1.2).
  const sriovPeer = sameBus.find((s) => sameSriovDevice(topology, dev, s) && barHit(s, addr));
  if (sriovPeer) {
    const pf = pciPhysfn(topology, dev);
    const target = sriovPeer.physfn === undefined ? `PF ${sriovPeer.bdf}` : `VF ${sriovPeer.bdf}`;
    const by = redirects(pf) ? `PF ${pf.bdf}` : dev !== pf && redirects(dev) ? `VF ${dev.bdf} (its own ACS capability)` : null;
    if (by === null) {
      hops.push({ at: dev.bdf, action: 'peer-internal', note: `SR-IOV: PF ${pf.bdf} has no ACS RR (PCIe r6.0 6.12.1.2): routed to ${target} inside the device` });
      return finishClaim(sriovPeer, addr, hops);
    }
    hops.push({ at: dev.bdf, action: 'redirect-upstream', note: `SR-IOV: ACS RR at ${by}: the request to ${target} is redirected upstream` });
  }
  // Inside a multifunction device: without RR the functions talk directly (VFs are not
  // functions of the multifunction device in this sense; the SR-IOV rule above covers them).
  if (dev.multifunction) {
    const sib = sameBus.find((s) => slotOf(s) === slotOf(dev) && s.physfn === undefined && barHit(s, addr));
    if (sib && !redirects(dev)) {
      hops.push({ at: dev.bdf, action: 'peer-internal', note: `multifunction device without ACS RR: routed to function ${sib.bdf} inside the device` });
      return finishClaim(sib, addr, hops);
    }
  }
  // A root-bus function: its request enters the root complex, which routes to another
  // slot only with rcPeerToPeer (to a function's BAR, or down a root port's window).
  if (parent === undefined && topology.rcPeerToPeer) {
    const peer = sameBus.find((p) => slotOf(p) !== slotOf(dev) && (barHit(p, addr) || windowHit(p, addr)));
    if (peer) {
      hops.push({ at: dev.bdf, action: 'route-peer', note: `root complex routes root-bus peer-to-peer (rcPeerToPeer) to ${peer.bdf}` });
      if (barHit(peer, addr)) return finishClaim(peer, addr, hops);
      hops.push({ at: peer.bdf, action: 'route-down', note: `${hex(addr)} is inside the window of ${peer.bdf}` });
      return done(routeDown(topology, peer, addr, hops, dev, hits));
    }
  }

  let cur: PciDevice = dev;
  for (let depth = 0; depth < 64; depth++) {
    const port = upstreamBridge(topology, cur);
    if (!port) break; // cur is on a root bus: the request has reached the root complex.
    if (!isPcie(port) || port.kind === 'pcie_to_pci_bridge' || port.kind === 'pci_to_pcie_bridge') {
      if (windowHit(port, addr)) {
        hops.push({ at: port.bdf, action: 'unclaimed', note: `${hex(addr)} is behind ${port.bdf} itself` });
        return done({ kind: 'unclaimed', at: port.bdf });
      }
      hops.push({ at: port.bdf, action: 'forward-upstream', note: 'bridge forwards upstream (it takes ownership of the requester ID)' });
      cur = port;
      continue;
    }
    if (port.kind === 'upstream_port') {
      const own = barHit(port, addr);
      if (own) {
        hops.push({ at: port.bdf, action: 'claim', note: `switch upstream port's own BAR${own.index} (not covered by plain RR)` });
        return done({ kind: 'peer', target: port.bdf, bar: own.index });
      }
      hops.push({ at: port.bdf, action: 'forward-upstream', note: 'switch upstream port forwards to its link' });
      cur = port;
      continue;
    }
    // A root port or switch downstream port receiving the request on its secondary side.
    const rid = request.requesterId ?? dev.bdf;
    const ridBus = parseBdf(rid)?.bus ?? -1;
    if (active(port, 'SV') && (ridBus < (port.secondary ?? 0) || ridBus > (port.subordinate ?? port.secondary ?? 0))) {
      hops.push({ at: port.bdf, action: 'block', note: `ACS SV: requester ID ${rid} is not below this port` });
      return done({ kind: 'blocked', at: port.bdf, bit: 'SV' });
    }
    if (translated && active(port, 'TB')) {
      hops.push({ at: port.bdf, action: 'block', note: 'ACS TB: translated requests are blocked' });
      return done({ kind: 'blocked', at: port.bdf, bit: 'TB' });
    }
    if (windowHit(port, addr) || barHit(port, addr)) {
      if (barHit(port, addr) && !redirects(port)) return finishClaim(port, addr, hops);
      if (windowHit(port, addr) && !active(port, 'UF')) {
        hops.push({ at: port.bdf, action: 'reflect-down', note: 'no ACS UF: target is below this port, so the port sends it back down' });
        return done(routeDown(topology, port, addr, hops, dev, hits));
      }
    } else {
      // Root ports: without rcPeerToPeer the root complex only routes between functions
      // of the same (multifunction) root port device; other targets go to the IOMMU.
      const rootLevel = upstreamBridge(topology, port) === undefined;
      const peers = devicesOnBus(topology, busOf(port)).filter(
        (d) => d !== port && (!rootLevel || topology.rcPeerToPeer || slotOf(d) === slotOf(port)),
      );
      const peer = peers.find((p) => barHit(p, addr) || windowHit(p, addr));
      if (peer) {
        if (active(port, 'EC')) {
          hops.push({ at: port.bdf, action: 'block', note: `ACS EC: egress to ${peer.bdf} is blocked` });
          return done({ kind: 'blocked', at: port.bdf, bit: 'EC' });
        }
        if (!redirects(port)) {
          const why = active(port, 'RR') ? 'ACS DT: translated request goes direct' : 'no ACS RR';
          hops.push({ at: port.bdf, action: 'route-peer', note: `${why}: routed peer-to-peer to ${peer.bdf}` });
          if (barHit(peer, addr)) return finishClaim(peer, addr, hops);
          hops.push({ at: peer.bdf, action: 'route-down', note: `${hex(addr)} is inside the window of ${peer.bdf}` });
          return done(routeDown(topology, peer, addr, hops, dev, hits));
        }
        hops.push({ at: port.bdf, action: 'redirect-upstream', note: `ACS RR: peer ${peer.bdf} would claim it; redirected upstream` });
        cur = port;
        continue;
      }
    }
    hops.push({ at: port.bdf, action: 'forward-upstream', note: windowHit(port, addr) ? 'ACS UF: forwarded upstream although the target is below' : 'not for a peer: forwarded upstream' });
    cur = port;
  }
  const rid = request.requesterId ?? requesterIdAtRoot(topology, dev);
  hops.push({ at: 'iommu', action: 'to-iommu', note: `root complex hands it to the IOMMU as requester ${rid}` });
  return { hops, outcome: { kind: 'iommu', rid, address: addr, translated, pasid: request.pasid ?? null } };

  function finishClaim(target: PciDevice, a: number, h: Hop[]): RouteResult {
    const bar = barHit(target, a)!;
    h.push({ at: target.bdf, action: 'claim', note: `BAR${bar.index} ${hex(bar.start)}-${hex(bar.end)} claims ${hex(a)}` });
    return { hops: h, outcome: { kind: 'peer', target: target.bdf, bar: bar.index } };
  }
}

