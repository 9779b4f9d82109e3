/**
 * The route of one DMA write from a device to another device's BAR, hop by hop, in one or two
 * lines for traces:
 *
 *   03:00.0 -> 02:08.0 (DSP, no ACS RR: routed peer-to-peer) -> 02:10.0 (DSP, down its window) -> 04:00.0 BAR0 0xa0200000; IOMMU never sees it
 *   (03:00.0 = nic-a, 04:00.0 = nic-b)
 *
 * The route is the hardware model's (peerReach → routeMemoryRequest): the write goes to the
 * base of each BAR of the target in turn, and the first one that lands peer-to-peer is shown,
 * else the last. The second line appears only when a device has a name other than its bdf.
 */
import type { DeviceKind, Hop, PciDevice, Topology } from '../hardware/index.ts';
import { findDevice, getDevice, hex, peerReach, routeMemoryRequest } from '../hardware/index.ts';

/** PASID used when `pasid` is asked for (routing does not depend on its value). */
const ROUTE_PASID = 1;

const SHORT_KIND: Partial<Record<DeviceKind, string>> = {
  root_port: 'RP',
  upstream_port: 'USP',
  downstream_port: 'DSP',
  pcie_to_pci_bridge: 'PCIe-to-PCI bridge',
  pci_to_pcie_bridge: 'PCI-to-PCIe bridge',
  pci_bridge: 'PCI bridge',
};

/** What one hop did, in a few words. */
function hopText(topology: Topology, hop: Hop): string {
  const dev = findDevice(topology, hop.at);
  const kind = dev ? SHORT_KIND[dev.kind] ?? 'function' : hop.at;
  const what = (() => {
    switch (hop.action) {
      case 'route-peer':
        return hop.note.replace(/ to [0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/, '');
      case 'redirect-upstream':
        return 'ACS RR: redirected upstream';
      case 'reflect-down':
        return 'no ACS UF: sent back down';
      case 'route-down':
        return 'down its window';
      case 'forward-upstream':
        if (hop.note.startsWith('ACS UF')) return 'ACS UF: forwarded upstream';
        if (hop.note.startsWith('bridge')) return 'forwarded upstream, takes over the requester ID';
        return 'forwarded upstream';
      case 'block':
        return `${hop.note.split(':')[0]}: blocked`;
      case 'unclaimed':
        return 'nothing claims it';
      default:
        return hop.note;
    }
  })();
  return `${hop.at} (${kind}, ${what})`;
}

/**
 * One or two lines: the hop-by-hop route of a DMA write (PASID-tagged when `pasid`) from
 * `fromDevice` to the first BAR of `toDevice` (names or bdfs), and whether the IOMMU sees it.
 */
export function describeRoute(topology: Topology, fromDevice: string, toDevice: string, pasid: boolean): string {
  const from = getDevice(topology, fromDevice);
  const to = getDevice(topology, toDevice);
  const r = peerReach(topology, from.bdf, to.bdf, pasid ? { pasid: ROUTE_PASID } : {});
  const start = `${from.bdf}${pasid ? ` [PASID ${ROUTE_PASID}]` : ''}`;
  if (r.bar === null || r.outcome === null) return `${start} -> ${to.bdf}: ${to.bdf} has no memory BAR`;
  const parts: string[] = [start];
  for (const hop of r.route.slice(1)) {
    switch (hop.action) {
      case 'peer-internal':
        parts[0] = from.physfn || to.physfn ? `${start} (SR-IOV, no ACS RR at the PF: routed inside the device)` : `${start} (multifunction, no ACS RR: routed inside the device)`;
        break;
      case 'shared-bus':
        parts.push('conventional PCI bus (shared, no ACS)');
        break;
      case 'claim': {
        const o = r.outcome;
        parts.push(o.kind === 'peer' ? `${hop.at} BAR${o.bar} ${hex(r.address!)}` : hop.at);
        break;
      }
      case 'to-iommu':
        parts.push(r.outcome.kind === 'iommu' ? `IOMMU (requester ${r.outcome.rid}${pasid ? `, PASID ${ROUTE_PASID}` : ''})` : 'IOMMU');
        break;
      default:
        parts.push(hopText(topology, hop));
    }
  }
  const o = r.outcome;
  const verdict =
    o.kind === 'peer'
      ? o.target === to.bdf
        ? 'IOMMU never sees it'
        : `lands on ${o.target} BAR${o.bar} instead; IOMMU never sees it`
      : o.kind === 'iommu'
        ? `the IOMMU sees it and translates ${hex(o.address)}`
        : o.kind === 'blocked'
          ? `blocked by ACS ${o.bit} at ${o.at}`
          : `no function claims ${hex(r.address!)}`;
  const line1 = `${parts.join(' -> ')}; ${verdict}`;
  const named = [from, to].filter((d: PciDevice, i, all) => d.name !== d.bdf && all.indexOf(d) === i);
  return named.length ? `${line1}\n(${named.map((d) => `${d.bdf} = ${d.name}`).join(', ')})` : line1;
}

/** A system-memory address no BAR claims: where a forged or aliased DMA write goes. */
const SYSTEM_MEMORY = 0x1000;

/**
 * The route of a DMA request of `fromDevice` to system memory (an IOVA the IOMMU translates),
 * hop by hop, and where it ends: `03:00.0 -> 02:01.0 (DSP, ACS UF: forwarded upstream) -> ... ->
 * IOMMU (requester 03:00.0)`, one line.
 */
export function describeIommuRoute(topology: Topology, fromDevice: string): string {
  const from = getDevice(topology, fromDevice);
  const r = routeMemoryRequest(topology, { requester: from.bdf, address: SYSTEM_MEMORY });
  const o = r.outcome;
  const end = o.kind === 'iommu' ? `IOMMU (requester ${o.rid})` : o.kind === 'blocked' ? `blocked by ACS ${o.bit} at ${o.at}` : o.kind === 'peer' ? `lands on ${o.target} BAR${o.bar}; IOMMU never sees it` : 'nothing claims it';
  return describeHops(topology, r.hops, end);
}

/** Hops of routeMemoryRequest (or of a route built on it) in one line, ending with `end`: `03:00.0 -> 02:08.0 (DSP, forwarded upstream) -> ... -> END`. */
export function describeHops(topology: Topology, hops: readonly Hop[], end: string): string {
  const parts = [hops[0]?.at ?? '?', ...hops.slice(1).filter((h) => h.at !== 'iommu' && h.action !== 'claim' && h.action !== 'to-iommu').map((h) => hopText(topology, h))];
  return `${parts.join(' -> ')} -> ${end}`;
}

/**
 * The route of a DMA write to system memory that `fromDevice` puts on the wire with requester ID
 * `rid` (an alias, or one it forges below a port without ACS SV), and the requester ID the IOMMU
 * sees: one line, as describeRoute.
 */
export function describeRidRoute(topology: Topology, fromDevice: string, rid: string): string {
  const from = getDevice(topology, fromDevice);
  const r = routeMemoryRequest(topology, { requester: from.bdf, address: SYSTEM_MEMORY, requesterId: rid });
  const parts = [`${from.bdf} [requester ID ${rid}]`, ...r.hops.slice(1).filter((h) => h.at !== 'iommu').map((h) => hopText(topology, h))];
  const o = r.outcome;
  const verdict = o.kind === 'iommu' ? `IOMMU looks up requester ${o.rid}'s context entry and translates ${hex(o.address)} with its domain` : o.kind === 'blocked' ? `blocked by ACS ${o.bit} at ${o.at}` : 'never reaches the IOMMU';
  return `${parts.join(' -> ')} -> ${verdict}`;
}
