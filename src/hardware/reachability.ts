/**
 * Who can reach whose BARs, and whether the IOMMU sees it; plus the grouping
 * soundness check (invariant I13 of kernel-semantics.md section 5) that joins
 * routing to pci_device_group.
 */
import type { AcsPolicy } from './acs.ts';
import { KERNEL_ACS_POLICY } from './acs.ts';
import type { Grouping } from './deriveGroups.ts';
import { deriveGroups } from './deriveGroups.ts';
import type { Hop, RouteResult } from './routeMemoryRequest.ts';
import { routeMemoryRequest } from './routeMemoryRequest.ts';
import type { PciDevice, Topology } from './types.ts';
import { getDevice, hex, isBridge } from './pciTree.ts';

/** Options for a peer probe: PASID-tagged and/or ATS-translated. */
export interface PeerProbe {
  readonly pasid?: number;
  readonly translated?: boolean;
}

/** The answer to "can A's DMA land on B's BAR without the IOMMU?" */
export interface PeerReach {
  /** True when some BAR of the target is reached peer-to-peer, bypassing the IOMMU. */
  readonly bypassesIommu: boolean;
  /** The BAR index probed and its base address (the request's address). */
  readonly bar: number | null;
  readonly address: number | null;
  /** The route of the first bypassing probe, or of the last probe when none bypasses. */
  readonly route: readonly Hop[];
  readonly outcome: RouteResult['outcome'] | null;
  /** One line in kernel words. */
  readonly reason: string;
}

/**
 * Probes each memory BAR of `to` with a request from `from` at the BAR's base
 * address (plain, or PASID-tagged / translated per `probe`) and reports whether any
 * lands on that BAR without passing the IOMMU, and by which route.
 */
export function peerReach(topology: Topology, from: string, to: string, probe: PeerProbe = {}, policy: AcsPolicy = KERNEL_ACS_POLICY): PeerReach {
  const a = getDevice(topology, from);
  const b = getDevice(topology, to);
  if (b.bars.length === 0) return { bypassesIommu: false, bar: null, address: null, route: [], outcome: null, reason: `${b.bdf} has no memory BAR` };
  let last: RouteResult | null = null;
  for (const bar of b.bars) {
    const r = routeMemoryRequest(topology, { requester: a.bdf, address: bar.start, ...probe }, policy);
    last = r;
    if (r.outcome.kind === 'peer' && r.outcome.target === b.bdf) {
      return {
        bypassesIommu: true,
        bar: bar.index,
        address: bar.start,
        route: r.hops,
        outcome: r.outcome,
        reason: `${a.bdf} reaches ${b.bdf} BAR${bar.index} at ${hex(bar.start)} peer-to-peer: ${r.hops.map((h) => h.at).join(' -> ')}`,
      };
    }
  }
  const o = last!.outcome;
  const end = o.kind === 'iommu' ? 'goes to the IOMMU' : o.kind === 'blocked' ? `is blocked by ACS ${o.bit} at ${o.at}` : o.kind === 'peer' ? `lands on ${o.target}` : 'is unclaimed';
  return { bypassesIommu: false, bar: b.bars[b.bars.length - 1]!.index, address: b.bars[b.bars.length - 1]!.start, route: last!.hops, outcome: o, reason: `${a.bdf} -> ${b.bdf}: request ${end}` };
}

/** One cell of the matrix. */
export interface ReachCell {
  readonly from: string;
  readonly to: string;
  /** 'p2p': lands on the BAR without the IOMMU; 'iommu': goes to the IOMMU; 'blocked': stopped by ACS; 'none': no BAR or unclaimed. */
  readonly path: 'p2p' | 'iommu' | 'blocked' | 'none';
  readonly route: readonly string[];
}

/**
 * Functions that master DMA in this model: everything but bridges. Simplification:
 * ports and bridges can have bus-master enabled but do not issue DMA of their own here.
 */
export function dmaRequesters(topology: Topology): PciDevice[] {
  return topology.devices.filter((d) => !isBridge(d));
}

/** The reachability matrix: every DMA-capable function against every other function with a BAR. */
export function reachabilityMatrix(topology: Topology, probe: PeerProbe = {}, policy: AcsPolicy = KERNEL_ACS_POLICY): ReachCell[] {
  const out: ReachCell[] = [];
  for (const a of dmaRequesters(topology)) {
    for (const b of topology.devices) {
      if (a === b || b.bars.length === 0) continue;
      const r = peerReach(topology, a.bdf, b.bdf, probe, policy);
      const path = r.bypassesIommu ? 'p2p' : r.outcome?.kind === 'iommu' ? 'iommu' : r.outcome?.kind === 'blocked' ? 'blocked' : 'none';
      out.push({ from: a.bdf, to: b.bdf, path, route: r.route.map((h) => h.at) });
    }
  }
  return out;
}

/**
 * Grouping soundness (I13): any two devices that can reach each other's BARs without
 * passing the IOMMU are in the same group. Returns null when sound, otherwise a
 * reason naming the pair and the route. Every DMA-capable function is tried against
 * every BAR of every other function (both directions), with plain requests. `grouping` defaults to the kernel's derivation.
 */
export function checkGroupingSoundness(topology: Topology, grouping: Grouping = deriveGroups(topology), policy: AcsPolicy = KERNEL_ACS_POLICY): string | null {
  const byBdf = (d: PciDevice) => grouping.groupOf[d.bdf];
  for (const a of dmaRequesters(topology)) {
    for (const b of topology.devices) {
      if (a === b || b.bars.length === 0) continue;
      if (byBdf(a) === byBdf(b)) continue;
      const r = peerReach(topology, a.bdf, b.bdf, {}, policy);
      if (r.bypassesIommu) {
        return `I13 broken: ${a.bdf} (group ${byBdf(a)}) reaches ${b.bdf} (group ${byBdf(b)}) without the IOMMU: ${r.route.map((h) => `${h.at}:${h.action}`).join(' -> ')}`;
      }
    }
  }
  return null;
}
