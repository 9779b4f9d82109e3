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
import { routeMemoryRequest, routeWatched } from './routeMemoryRequest.ts';
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

const cellPath = (r: PeerReach): ReachCell['path'] => (r.bypassesIommu ? 'p2p' : r.outcome?.kind === 'iommu' ? 'iommu' : r.outcome?.kind === 'blocked' ? 'blocked' : 'none');

/** The functions with a memory BAR (matrix order) and all their BAR bases, sorted, to find those inside a range. */
interface Targets {
  readonly list: readonly PciDevice[];
  readonly bases: readonly { readonly start: number; readonly pos: number }[];
}

function targetsOf(topology: Topology): Targets {
  const list = topology.devices.filter((b) => b.bars.length > 0);
  const bases = list.flatMap((b, pos) => b.bars.map((bar) => ({ start: bar.start, pos }))).sort((x, y) => x.start - y.start);
  return { list, bases };
}

/**
 * One requester's routes. Its request is routed once to an address nothing claims, and
 * routeWatched records which devices' BARs and windows that route compared the address with: a
 * target none of whose BAR bases lies in one of those ranges takes exactly that `shared` route
 * (same hops, same outcome kind; its notes name no real address), so only the `touched`
 * targets (positions in Targets.list, ascending) need a route of their own. The shared route
 * never lands on a BAR, so it never bypasses the IOMMU.
 */
interface RequesterRoutes {
  readonly shared: RouteResult;
  readonly sharedPath: ReachCell['path'];
  readonly touched: readonly number[];
}

function requesterRoutes(topology: Topology, a: PciDevice, targets: Targets, probe: PeerProbe, policy: AcsPolicy): RequesterRoutes {
  const watched = new Set<PciDevice>();
  const shared = routeWatched(topology, { requester: a.bdf, address: -1, ...probe }, policy, (d) => watched.add(d));
  const touched = new Set<number>();
  const { bases } = targets;
  for (const d of watched) {
    for (const r of [...d.bars, ...(isBridge(d) ? (d.windows ?? []) : [])]) {
      let lo = 0;
      let hi = bases.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (bases[mid]!.start < r.start) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < bases.length && bases[i]!.start <= r.end; i++) touched.add(bases[i]!.pos);
    }
  }
  const kind = shared.outcome.kind;
  return { shared, sharedPath: kind === 'iommu' ? 'iommu' : kind === 'blocked' ? 'blocked' : 'none', touched: [...touched].sort((x, y) => x - y) };
}

/** The cell of one requester-target pair: routed on its own when touched, else the shared route. */
function cellOf(topology: Topology, a: PciDevice, b: PciDevice, routes: RequesterRoutes, touched: boolean, probe: PeerProbe, policy: AcsPolicy): ReachCell {
  if (!touched) return { from: a.bdf, to: b.bdf, path: routes.sharedPath, route: routes.shared.hops.map((h) => h.at) };
  const r = peerReach(topology, a.bdf, b.bdf, probe, policy);
  return { from: a.bdf, to: b.bdf, path: cellPath(r), route: r.route.map((h) => h.at) };
}

/** The reachability matrix: every DMA-capable function against every other function with a BAR. */
export function reachabilityMatrix(topology: Topology, probe: PeerProbe = {}, policy: AcsPolicy = KERNEL_ACS_POLICY): ReachCell[] {
  const targets = targetsOf(topology);
  const out: ReachCell[] = [];
  for (const a of dmaRequesters(topology)) {
    const routes = requesterRoutes(topology, a, targets, probe, policy);
    const touched = new Set(routes.touched);
    targets.list.forEach((b, pos) => {
      if (a !== b) out.push(cellOf(topology, a, b, routes, touched.has(pos), probe, policy));
    });
  }
  return out;
}

/** The reachability matrix in short: who was probed against whom, counts, and the cells that do not go to the IOMMU. */
export interface ReachSummary {
  /** DMA-capable functions probed against at least one other function's BAR, in topology order. */
  readonly requesters: readonly string[];
  /** Functions with a BAR that at least one other function was probed against, sorted. */
  readonly targets: readonly string[];
  readonly counts: { readonly p2p: number; readonly iommu: number; readonly blocked: number; readonly none: number };
  /** Every cell whose path is not 'iommu', in matrix order; a requester-target pair not listed goes to the IOMMU. */
  readonly cells: readonly ReachCell[];
}

/**
 * reachabilityMatrix() without the cells that go to the IOMMU (most of a large matrix), plus
 * counts; routes only the pairs whose outcome can differ from their requester's shared route.
 */
export function reachabilitySummary(topology: Topology, probe: PeerProbe = {}, policy: AcsPolicy = KERNEL_ACS_POLICY): ReachSummary {
  const targets = targetsOf(topology);
  const requesters = dmaRequesters(topology);
  const isRequester = new Set(requesters);
  const counts = { p2p: 0, iommu: 0, blocked: 0, none: 0 };
  const cells: ReachCell[] = [];
  const probed: string[] = [];
  for (const a of requesters) {
    const others = targets.list.length - (a.bars.length > 0 ? 1 : 0);
    if (others === 0) continue;
    probed.push(a.bdf);
    const routes = requesterRoutes(topology, a, targets, probe, policy);
    const own = routes.sharedPath === 'iommu' ? routes.touched : targets.list.map((_, pos) => pos);
    const touched = new Set(routes.touched);
    let routed = 0;
    for (const pos of own) {
      const b = targets.list[pos]!;
      if (b === a) continue;
      routed++;
      const c = cellOf(topology, a, b, routes, touched.has(pos), probe, policy);
      counts[c.path]++;
      if (c.path !== 'iommu') cells.push(c);
    }
    counts.iommu += others - routed;
  }
  const probedAsTarget = (b: PciDevice) => requesters.length - (isRequester.has(b) ? 1 : 0) > 0;
  return { requesters: probed, targets: targets.list.filter(probedAsTarget).map((b) => b.bdf).sort(), counts, cells };
}

/**
 * Grouping soundness (I13): any two devices that can reach each other's BARs without
 * passing the IOMMU are in the same group. Returns null when sound, otherwise a
 * reason naming the pair and the route. Every DMA-capable function is tried against
 * every BAR of every other function (both directions), with plain requests. `grouping` defaults to the kernel's derivation.
 * `reach`: reachabilitySummary(topology, {}, policy) when the caller has it already (its p2p
 * cells are the pairs that bypass the IOMMU, in the same order).
 */
export function checkGroupingSoundness(topology: Topology, grouping: Grouping = deriveGroups(topology), policy: AcsPolicy = KERNEL_ACS_POLICY, reach?: ReachSummary): string | null {
  const groupOf = (bdf: string) => grouping.groupOf[bdf];
  const broken = (a: string, b: string) => {
    const r = peerReach(topology, a, b, {}, policy);
    return `I13 broken: ${a} (group ${groupOf(a)}) reaches ${b} (group ${groupOf(b)}) without the IOMMU: ${r.route.map((h) => `${h.at}:${h.action}`).join(' -> ')}`;
  };
  if (reach) {
    const first = reach.cells.find((c) => c.path === 'p2p' && groupOf(c.from) !== groupOf(c.to));
    return first ? broken(first.from, first.to) : null;
  }
  const targets = targetsOf(topology);
  for (const a of dmaRequesters(topology)) {
    // Only touched targets can be reached peer-to-peer: the shared route never lands on a BAR.
    for (const pos of requesterRoutes(topology, a, targets, {}, policy).touched) {
      const b = targets.list[pos]!;
      if (a === b || groupOf(a.bdf) === groupOf(b.bdf)) continue;
      if (peerReach(topology, a.bdf, b.bdf, {}, policy).bypassesIommu) return broken(a.bdf, b.bdf);
    }
  }
  return null;
}
