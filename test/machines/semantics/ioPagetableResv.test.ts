/**
 * Reserved regions in user IOVA spaces (issue 16, Deliver 3, helper G): VFIO type1 refuses
 * VFIO_IOMMU_MAP_DMA at an IOVA cut out of the container's valid list (vfio_iommu_iova_dma_valid),
 * iommufd refuses IOMMU_IOAS_MAP at an IOVA reserved for an attached device (iopt_check_iova) and
 * the attach of a device whose reserved region is already mapped (iopt_table_enforce_dev_resv_regions
 * -> iopt_reserve_iova), and invariant RESV. Built-in resv-iova-user-map: 0 = 01:00.0, 1 = 01:00.1
 * (reserved IOVA page 0), one group, one context `vmm` with both paths, IOVA pages 0 and 1.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/engine/explore.ts';
import { reservedIovaUnmapped } from '../../../src/invariants/reservedIovaUnmapped.ts';
import { buildModel } from '../../../src/machines/model.ts';
import { userMapIovas } from '../../../src/machines/semantics/ioPagetableResv.ts';
import type { SystemState } from '../../../src/machines/state.ts';
import { findVariant } from '../../../src/machines/variants/index.ts';
import { expectOverridable } from '../../helpers/overridable.ts';
import { expectErrno, expectOk, model, run } from '../../helpers/model.ts';

const vfioPci = (dev: number) => ({ type: 'really_probe', dev, driver: 'vfio-pci' }) as const;
const open = { type: 'vfio_group_fops_open', ctx: 0, group: 0 } as const;
const setContainer = { type: 'vfio_group_ioctl_set_container', ctx: 0, group: 0 } as const;
const setIommu = { type: 'vfio_ioctl_set_iommu', ctx: 0 } as const;
const bind = (dev: number) => ({ type: 'vfio_df_ioctl_bind_iommufd', ctx: 0, dev }) as const;
const attach = (dev: number) => ({ type: 'vfio_df_ioctl_attach_pt', ctx: 0, dev, hwpt: 0 }) as const;
const mapDma = (iova: number) => ({ type: 'vfio_dma_do_map', ctx: 0, group: 0, iova }) as const;
const ioasMap = (iova: number) => ({ type: 'iopt_map_user_pages', ctx: 0, group: 0, iova }) as const;
const reason = (r: { ok: boolean; reason?: string }): string => (r.ok ? '' : (r.reason ?? ''));
const ptes = (s: SystemState) => s.groups[0]!.translation!.user!.ptes.map((p) => (p ? `${p.domain}@${p.phys}` : null));

describe('VFIO type1: vfio_dma_do_map and the container\'s valid IOVA list', () => {
  const m = model('resv-iova-user-map');
  const onContainer = run(m, [vfioPci(0), vfioPci(1), open, setContainer, setIommu]);

  it('VFIO_IOMMU_MAP_DMA at the reserved IOVA of a device in a group on the container returns EINVAL (vfio_iommu_iova_dma_valid) and pins nothing', () => {
    const r = expectErrno('EINVAL', m, onContainer, mapDma(0));
    expect(reason(r)).toContain("cut it out of the container's valid IOVA list");
    expect(ptes(onContainer)).toEqual([null, null]);
  });

  it('VFIO_IOMMU_MAP_DMA at another IOVA maps in the container domain', () => {
    expect(ptes(expectOk(m, onContainer, mapDma(1)))).toEqual([null, 'container:0@0']);
  });
});

describe('iommufd: iopt_check_iova and iopt_table_enforce_dev_resv_regions', () => {
  const m = model('resv-iova-user-map');
  const bound = run(m, [vfioPci(0), vfioPci(1), bind(0), bind(1)]);

  it('IOMMU_IOAS_MAP at the reserved IOVA of an attached device returns EINVAL (iopt_check_iova: reserved in the IOAS)', () => {
    const s = run(m, [attach(1)], bound);
    expect(reason(expectErrno('EINVAL', m, s, ioasMap(0)))).toContain('reserved in the IOAS for 01:00.1');
  });

  it('while only its group-mate is attached, the IOVA is not reserved (per device): the map succeeds, and attaching 01:00.1 then returns EADDRINUSE (iopt_reserve_iova)', () => {
    const mapped = run(m, [attach(0), ioasMap(0)], bound);
    expect(ptes(mapped)).toEqual(['hwpt:0.0@0', null]);
    const r = expectErrno('EADDRINUSE', m, mapped, attach(1));
    expect(reason(r)).toContain('already covers IOVA page 0');
    expect(mapped.devices[1]!.iommufd).toEqual({ ctx: 0, hwpt: null });
  });

  it('IOMMU_IOAS_MAP at a mapped IOVA returns EEXIST (iopt_check_iova: an area covers it)', () => {
    const s = run(m, [attach(1), ioasMap(1)], bound);
    expectErrno('EEXIST', m, s, ioasMap(1));
  });
});

describe('the user tries a plain IOVA and each reserved one', () => {
  it('userMapIovas: the lowest free IOVA that is no reserved one, then the free reserved ones', () => {
    expect(userMapIovas({ ptes: [null, null], unmap: null }, [0])).toEqual([1, 0]);
    expect(userMapIovas({ ptes: [null, { phys: 0, stale: false, domain: 'hwpt:0.0' }], unmap: null }, [0])).toEqual([0]);
  });
});

describe('RESV (ReservedIovaUnmapped)', () => {
  it('holds on resv-iova-user-map under the current kernel', () => {
    expect(explore(buildModel(model('resv-iova-user-map').scenario, findVariant('current')!)).violations.map((v) => v.invariant)).not.toContain('RESV');
  });

  it('breaks when the checks are dropped (reserved-iova-not-enforced)', () => {
    expect(explore(buildModel(model('resv-iova-user-map').scenario, findVariant('reserved-iova-not-enforced')!)).violations.map((v) => v.invariant)).toContain('RESV');
  });

  it('is not judged without a reserved IOVA', () => {
    expect(reservedIovaUnmapped.notJudged?.(model('vfio-type1-unmap').scenario)).toContain('reservedIova');
  });
});

describe('a variant file overrides each new call', () => {
  const scenario = model('resv-iova-user-map').scenario;
  it.each(['vfio_iommu_iova_dma_valid', 'iopt_check_iova', 'iopt_table_enforce_dev_resv_regions'] as const)('%s', (name) => {
    expectOverridable(name, scenario);
  });
});
