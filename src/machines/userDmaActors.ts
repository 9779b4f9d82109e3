/**
 * The calls of a user context that maps its memory for DMA (issue 15, step 5; ContextSpec.mapDma):
 * per group with user mappings it may reach, VFIO_IOMMU_MAP_DMA / UNMAP_DMA on its container
 * (type1) and IOMMU_IOAS_MAP / UNMAP on the IOAS of the hwpt the group is attached to (iommufd).
 * While one of its unmaps is in progress the thread offers only the next step of it
 * (vfio_sync_unpin, iopt_area_unpin_domain). The user maps at the lowest free IOVA page
 * (interchangeable IOVA pages: one choice is enough).
 */
import { userOfDomain } from '../kernel/domains.ts';
import type { IommuEvent } from './events.ts';
import { contextDevices, scenarioGroups, type Scenario } from './scenario.ts';
import { groupOf, type SystemState } from './state.ts';
import { freeUserIova, ioasDomain, type1Domain, userOf } from './semantics/userDma.ts';
import { groupReservedIovas, userMapIovas } from './semantics/ioPagetableResv.ts';

const NONE: IommuEvent[] = [];

/** Context ctx's MAP/UNMAP calls on group g. */
function groupCalls(s: SystemState, ctx: number, group: number, reserved: readonly number[]): IommuEvent[] {
  const user = userOf(s, group);
  if (!user) return NONE;
  const u = user.unmap;
  if (u) {
    if (userOfDomain(u.domain) !== ctx) return NONE;
    return [{ type: u.domain.startsWith('hwpt:') ? 'iopt_area_unpin_domain' : 'vfio_sync_unpin', ctx, group }];
  }
  const out: IommuEvent[] = [];
  // Reserved regions (issue 16, helper G): with a device's `reservedIova`, the user also tries that IOVA.
  const iovas = reserved.length === 0 ? [freeUserIova(s, group)].filter((i) => i >= 0) : userMapIovas(user, reserved);
  const type1 = type1Domain(s, ctx, group);
  const ioas = ioasDomain(s, ctx, group);
  for (const iova of iovas) {
    if (type1) out.push({ type: 'vfio_dma_do_map', ctx, group, iova });
    if (ioas) out.push({ type: 'iopt_map_user_pages', ctx, group, iova });
  }
  user.ptes.forEach((p, i) => {
    if (p && p.domain === type1) out.push({ type: 'vfio_dma_do_unmap', ctx, group, iova: i });
    if (p && p.domain === ioas) out.push({ type: 'iopt_unmap_iova', ctx, group, iova: i });
  });
  return out;
}

/** The blocks (enumerate.ts EventBlock) of context ctx's user-mapping calls: one per group holding a DMA actor it may take (none without `mapDma`). */
export function userDmaBlocks(scenario: Scenario, ctx: number): { slot: number | null; events: (s: SystemState) => IommuEvent[] }[] {
  if (scenario.contexts[ctx]?.mapDma !== true) return [];
  const mine = contextDevices(scenario, ctx);
  return scenarioGroups(scenario).flatMap((_, group) =>
    mine.some((dev) => scenario.devices[dev]?.dma === true && groupOf(scenario, dev) === group) ? [{ slot: null, events: (s: SystemState) => groupCalls(s, ctx, group, groupReservedIovas(scenario, group)) }] : [],
  );
}
