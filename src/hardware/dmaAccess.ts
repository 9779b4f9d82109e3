/**
 * One DMA end to end: route the request through the fabric, and if it reaches the
 * root complex, translate it in the IOMMU. This is what the ownership side asks
 * when it checks that a device's DMA stays inside its security context.
 */
import type { AcsPolicy } from './acs.ts';
import { KERNEL_ACS_POLICY } from './acs.ts';
import type { MemoryRequest, RouteResult } from './routeMemoryRequest.ts';
import { routeMemoryRequest } from './routeMemoryRequest.ts';
import type { IommuState, Translation } from './translate.ts';
import { translate } from './translate.ts';
import type { Topology } from './types.ts';

/** Where one DMA landed: the route, and the translation when the IOMMU saw it. */
export interface DmaResult {
  readonly route: RouteResult;
  /** Null when the request never reached the IOMMU (peer-to-peer, blocked, unclaimed). */
  readonly translation: Translation | null;
  /** The IOMMU state after the access (the IOTLB may have been filled). */
  readonly state: IommuState;
}

/** Routes, then translates; pure. */
export function dmaAccess(topology: Topology, state: IommuState, request: MemoryRequest, policy: AcsPolicy = KERNEL_ACS_POLICY): DmaResult {
  const route = routeMemoryRequest(topology, request, policy);
  if (route.outcome.kind !== 'iommu') return { route, translation: null, state };
  const t = translate(state, { rid: route.outcome.rid, address: route.outcome.address, pasid: route.outcome.pasid, translated: route.outcome.translated }, topology);
  return { route, translation: t.result, state: t.state };
}
