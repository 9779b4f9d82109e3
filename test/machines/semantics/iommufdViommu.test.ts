/**
 * vDEVICEs (issue 16, Deliver 7): IOMMU_VDEVICE_ALLOC (iommufd_vdevice_alloc_ioctl, viommu.c) in
 * two steps a lookup can fall between, vdevice_init's failure, the IOMMU driver's lookup
 * (iommufd_viommu_find_dev, driver.c), and VDEVICE (VdevicePublishedAfterInit) broken by the
 * pre-fix order (store, then init). Built-in iommufd-vdevice.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/engine/explore.ts';
import { findInvariant } from '../../../src/invariants/index.ts';
import { buildModel } from '../../../src/machines/model.ts';
import { findVariant } from '../../../src/machines/variants/index.ts';
import { findScenario } from '../../../src/scenarios/builtin.ts';
import { expectErrno, expectOk, model, run } from '../../helpers/model.ts';
import { expectOverridable } from '../../helpers/overridable.ts';

const SCENARIO = 'iommufd-vdevice';
const VARIANT = 'vdevice-published-before-init';
const vfioPci = (dev: number) => ({ type: 'really_probe', dev, driver: 'vfio-pci' }) as const;
const bind = (dev: number) => ({ type: 'vfio_df_ioctl_bind_iommufd', ctx: 0, dev }) as const;
const unbind = (dev: number) => ({ type: 'vfio_df_unbind_iommufd', ctx: 0, dev }) as const;
const alloc = (dev: number, initFails = false) => ({ type: 'iommufd_vdevice_alloc_ioctl', ctx: 0, dev, ...(initFails ? { initFails: 1 as const } : {}) }) as const;
const findDev = (dev: number) => ({ type: 'iommufd_viommu_find_dev', ctx: 0, dev }) as const;

describe('scenarios without a vIOMMU carry no vDEVICE state', () => {
  it('iommufd-hwpt-destroy has no vdevice field and offers no vDEVICE calls; VDEVICE is not judged there', () => {
    const m = model('iommufd-hwpt-destroy');
    expect(m.init.devices[0]).not.toHaveProperty('vdevice');
    const s = run(m, [vfioPci(0), bind(0)]);
    expect(m.events(s).map((e) => e.type).filter((t) => t.includes('vdevice') || t.includes('viommu'))).toEqual([]);
    expect(findInvariant('VDEVICE')!.notJudged!(findScenario('iommufd-hwpt-destroy')!)).toMatch(/no iommufd context of the scenario has a vIOMMU/);
  });
});

describe('IOMMU_VDEVICE_ALLOC (iommufd_vdevice_alloc_ioctl), as fixed by e44915b77d38', () => {
  const m = model(SCENARIO);
  const bound = run(m, [vfioPci(0), bind(0)]);

  it('runs vdevice_init first, then stores the vDEVICE: a lookup finds it only once it is live', () => {
    expect(bound.devices[0]!.vdevice).toBe('none');
    const inited = expectOk(m, bound, alloc(0));
    expect(inited.devices[0]!.vdevice).toBe('initialized');
    expectErrno('EIO', m, inited, findDev(0));
    const live = expectOk(m, inited, alloc(0));
    expect(live.devices[0]!.vdevice).toBe('live');
    expect(expectOk(m, live, findDev(0))).toBe(live);
  });

  it('a failing vdevice_init aborts the vDEVICE before it was stored: nothing is left', () => {
    const r = expectErrno('EOPNOTSUPP', m, bound, alloc(0, true));
    expect(r.ok || r.after).toBeFalsy();
  });

  it('a second vDEVICE for the device gets -EEXIST (idev->vdev); a device not bound to the iommufd gets -ENOENT', () => {
    const live = run(m, [alloc(0), alloc(0)], bound);
    expectErrno('EEXIST', m, live, alloc(0));
    expectErrno('ENOENT', m, run(m, [vfioPci(1)], bound), alloc(1));
  });

  it('unbinding the device destroys its vDEVICE with the idev (iommufd_device_pre_destroy)', () => {
    const live = run(m, [alloc(0), alloc(0)], bound);
    expect(expectOk(m, live, unbind(0)).devices[0]!.vdevice).toBe('none');
  });

  it('the steps and the lookups are offered to the bound device only', () => {
    const keys = (s: typeof bound) => m.events(s).filter((e) => e.type === 'iommufd_vdevice_alloc_ioctl' || e.type === 'iommufd_viommu_find_dev');
    expect(keys(run(m, [vfioPci(0)]))).toEqual([]);
    expect(keys(bound)).toEqual([alloc(0), alloc(0, true), findDev(0)]);
  });

  it('holds on the built-in: no lookup returns a vDEVICE that is not initialized', () => {
    expect(explore(m).violations).toEqual([]);
  });
});

describe('the pre-fix order (vdevice-published-before-init)', () => {
  const m = model(SCENARIO, VARIANT);
  const bound = run(m, [vfioPci(0), bind(0)]);

  it('stores the vDEVICE before vdevice_init: a lookup in between returns it, and VDEVICE breaks on that step', () => {
    const stored = expectOk(m, bound, alloc(0));
    expect(stored.devices[0]!.vdevice).toBe('stored');
    const after = expectOk(m, stored, findDev(0));
    expect(findInvariant('VDEVICE')!.step!(stored, findDev(0), after, m.scenario)).toMatch(/^iommufd_viommu_find_dev returned 01:00\.0 from viommu->vdevs while its vDEVICE's vdevice_init had not run/);
  });

  it('a failing vdevice_init then removes the stored vDEVICE again (iommufd_vdevice_abort)', () => {
    const stored = expectOk(m, bound, alloc(0));
    const r = expectErrno('EOPNOTSUPP', m, stored, alloc(0, true));
    expect(!r.ok && r.after?.devices[0]!.vdevice).toBe('none');
  });

  it('the checker finds the violation with a trace ending in the lookup', () => {
    const v = explore(m).violations.find((x) => x.invariant === 'VDEVICE');
    expect(v?.kind).toBe('step');
    expect(v!.steps.map((s) => s.event.type).slice(-2)).toEqual(['iommufd_vdevice_alloc_ioctl', 'iommufd_viommu_find_dev']);
  });
});

describe('every vDEVICE call can be overridden by a variant', { timeout: 60_000 }, () => {
  it.each(['iommufd_vdevice_alloc_ioctl', 'iommufd_viommu_find_dev'] as const)('%s', (name) => {
    expectOverridable(name, findScenario(SCENARIO)!);
  });

  it('the variant is registered to run only on the vDEVICE scenario', () => {
    expect(findVariant(VARIANT)!.scenarios).toEqual([SCENARIO]);
    expect(explore(buildModel(findScenario('iommufd-hwpt-destroy')!, findVariant(VARIANT)!)).violations).toEqual([]);
  });
});
