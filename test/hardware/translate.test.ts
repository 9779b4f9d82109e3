import { describe, expect, it } from 'vitest';
import type { IommuState } from '../../src/hardware/index.ts';
import { addDomain, builtinTopologies, createIommuState, dmaAccess, enableAts, iommuFlush, iommuMap, iommuUnmap, setPageOwner, setPasidDomain, setRidDomain, translate } from '../../src/hardware/index.ts';

const unwrap = <T>(r: { ok: true; next: T } | { ok: false; reason: string }): T => {
  if (!r.ok) throw new Error(r.reason);
  return r.next;
};
function paging(invalidation: 'strict' | 'lazy'): IommuState {
  let s = addDomain(createIommuState(invalidation), 'dma0', 'paging');
  s = setRidDomain(s, '03:00.0', 'dma0');
  s = unwrap(iommuMap(s, 'dma0', 0x10000, 0x7000000));
  return setPageOwner(s, 0x7000000, 'vfio:ctx1');
}

describe('translate (IOMMU translation path)', () => {
  it('the requester ID selects its context entry and the paging domain maps IOVA to a physical page', () => {
    const { result } = translate(paging('strict'), { rid: '03:00.0', address: 0x10010 });
    expect(result).toMatchObject({ kind: 'memory', phys: 0x7000010, owner: 'vfio:ctx1', via: 'page-table', domain: 'dma0' });
  });
  it('a requester ID with no context entry faults', () => {
    expect(translate(paging('strict'), { rid: '04:00.0', address: 0x10000 }).result.kind).toBe('fault');
  });
  it('the blocking domain faults every request', () => {
    const s = setRidDomain(addDomain(createIommuState(), 'blocked', 'blocking'), '03:00.0', 'blocked');
    expect(translate(s, { rid: '03:00.0', address: 0x1000 }).result).toMatchObject({ kind: 'fault', domain: 'blocked' });
  });
  it('the identity domain passes the address through, so DMA at a peer BAR lands on that BAR', () => {
    const s = setRidDomain(addDomain(createIommuState(), 'id', 'identity'), '03:00.0', 'id');
    expect(translate(s, { rid: '03:00.0', address: 0xa0200000 }, builtinTopologies['switch-acs']).result).toMatchObject({ kind: 'bar', target: '04:00.0', via: 'identity' });
  });
  it('a PASID-tagged request uses the domain attached to that PASID, not the RID domain', () => {
    let s = addDomain(paging('strict'), 'sva', 'paging');
    s = unwrap(iommuMap(s, 'sva', 0x10000, 0x9000000));
    s = setPasidDomain(s, '03:00.0', 5, 'sva');
    expect(translate(s, { rid: '03:00.0', address: 0x10000, pasid: 5 }).result).toMatchObject({ kind: 'memory', phys: 0x9000000, domain: 'sva' });
    expect(translate(s, { rid: '03:00.0', address: 0x10000, pasid: 6 }).result.kind).toBe('fault');
  });
  it('an ATS-translated request skips translation only when ATS is enabled for the requester', () => {
    const s = paging('strict');
    expect(translate(s, { rid: '03:00.0', address: 0x5000, translated: true }).result.kind).toBe('fault');
    expect(translate(enableAts(s, '03:00.0'), { rid: '03:00.0', address: 0x5000, translated: true }).result).toMatchObject({ kind: 'memory', phys: 0x5000, via: 'ats' });
  });
  it('strict invalidation: DMA after iommu_unmap never reaches the freed page', () => {
    let s = translate(paging('strict'), { rid: '03:00.0', address: 0x10000 }).state; // IOTLB filled
    s = unwrap(iommuUnmap(s, 'dma0', 0x10000));
    s = setPageOwner(s, 0x7000000, 'kernel');
    expect(translate(s, { rid: '03:00.0', address: 0x10000 }).result.kind).toBe('fault');
  });
  it('lazy invalidation: until the flush queue runs, a stale IOTLB entry still reaches the freed page', () => {
    let s = translate(paging('lazy'), { rid: '03:00.0', address: 0x10000 }).state;
    s = unwrap(iommuUnmap(s, 'dma0', 0x10000));
    s = setPageOwner(s, 0x7000000, 'kernel');
    expect(translate(s, { rid: '03:00.0', address: 0x10000 }).result).toMatchObject({ kind: 'memory', owner: 'kernel', via: 'iotlb', stale: true });
    expect(translate(iommuFlush(s), { rid: '03:00.0', address: 0x10000 }).result.kind).toBe('fault');
  });
  it('iommu_map refuses a blocking domain and a mapped IOVA', () => {
    const s = paging('strict');
    expect(iommuMap(addDomain(s, 'b', 'blocking'), 'b', 0, 0)).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(iommuMap(s, 'dma0', 0x10000, 0)).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(iommuUnmap(s, 'dma0', 0x20000)).toMatchObject({ ok: false, errno: 'ENOENT' });
  });
});

describe('dmaAccess (route, then translate)', () => {
  it('under a switch with ACS the peer-BAR request is translated by the IOMMU', () => {
    const s = paging('strict');
    const r = dmaAccess(builtinTopologies['switch-acs']!, s, { requester: 'nic-a', address: 0x10000 });
    expect(r.route.outcome.kind).toBe('iommu');
    expect(r.translation).toMatchObject({ kind: 'memory', owner: 'vfio:ctx1' });
  });
  it('under a switch without ACS the request at the peer BAR never reaches the IOMMU', () => {
    const r = dmaAccess(builtinTopologies['switch-no-acs']!, paging('strict'), { requester: 'nic-a', address: 0xa0200000 });
    expect(r.translation).toBeNull();
    expect(r.route.outcome).toMatchObject({ kind: 'peer', target: '04:00.0' });
  });
});
