/**
 * Hwpt lifetimes (issue 16, Deliver 1): IOMMU_HWPT_ALLOC (iommufd_hwpt_alloc, hw_pagetable.c) and
 * IOMMU_DESTROY (iommufd_destroy -> iommufd_object_remove, main.c: -EBUSY while obj->users > 1),
 * attach to an unallocated hwpt (-ENOENT, iommufd_device_change_pt), and I17 (NoDanglingDomain)
 * broken by a destroy that ignores the refcount. Built-in iommufd-hwpt-destroy.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/engine/explore.ts';
import { buildModel } from '../../../src/machines/model.ts';
import { findVariant } from '../../../src/machines/variants/index.ts';
import { findScenario } from '../../../src/scenarios/builtin.ts';
import { parseScenarioFile } from '../../../src/scenarios/scenarioFile.ts';
import { expectErrno, expectOk, model, run } from '../../helpers/model.ts';
import { expectOverridable } from '../../helpers/overridable.ts';

const SCENARIO = 'iommufd-hwpt-destroy';
const vfioPci = (dev: number) => ({ type: 'really_probe', dev, driver: 'vfio-pci' }) as const;
const bind = (dev: number) => ({ type: 'vfio_df_ioctl_bind_iommufd', ctx: 0, dev }) as const;
const attach = (dev: number, hwpt = 0) => ({ type: 'vfio_df_ioctl_attach_pt', ctx: 0, dev, hwpt }) as const;
const detach = (dev: number) => ({ type: 'vfio_df_ioctl_detach_pt', ctx: 0, dev }) as const;
const alloc = (hwpt = 0) => ({ type: 'iommufd_hwpt_alloc', ctx: 0, hwpt }) as const;
const destroy = (hwpt = 0) => ({ type: 'iommufd_destroy', ctx: 0, hwpt }) as const;

describe('scenarios without hwpt lifetimes carry no hwpt state', () => {
  it('iommufd-two-contexts has no hwpt_allocated and offers no IOMMU_HWPT_ALLOC or IOMMU_DESTROY', () => {
    const m = model('iommufd-two-contexts');
    expect(m.init.containers[0]).not.toHaveProperty('hwpt_allocated');
    expect(m.events(m.init).map((e) => e.type).filter((t) => t === 'iommufd_hwpt_alloc' || t === 'iommufd_destroy')).toEqual([]);
  });
});

describe('IOMMU_HWPT_ALLOC (iommufd_hwpt_alloc)', () => {
  it('publishes the hwpt in ictx->objects; every hwpt starts unallocated', () => {
    const m = model(SCENARIO);
    expect(m.init.containers[0]!.hwpt_allocated).toEqual([false, false]);
    expect(expectOk(m, m.init, alloc(1)).containers[0]!.hwpt_allocated).toEqual([false, true]);
  });

  it('allocating a slot that is allocated gets -EEXIST', () => {
    const m = model(SCENARIO);
    expectErrno('EEXIST', m, run(m, [alloc()]), alloc());
  });
});

describe('attach to an hwpt that is not allocated', () => {
  it('VFIO_DEVICE_ATTACH_IOMMUFD_PT gets -ENOENT (iommufd_get_object)', () => {
    const m = model(SCENARIO);
    expectErrno('ENOENT', m, run(m, [vfioPci(0), bind(0)]), attach(0));
  });

  it('a replace onto an unallocated hwpt gets -ENOENT and leaves the group on its hwpt', () => {
    const m = model(SCENARIO);
    const s = run(m, [vfioPci(0), bind(0), alloc(0), attach(0, 0)]);
    expectErrno('ENOENT', m, s, attach(0, 1));
    expect(s.groups[0]!.domain).toBe('hwpt:0.0');
  });
});

describe('IOMMU_DESTROY (iommufd_destroy -> iommufd_object_remove)', () => {
  it('gets -EBUSY while a device is attached (refcount_dec_if_one(&obj->users) fails)', () => {
    const m = model(SCENARIO);
    const s = run(m, [vfioPci(0), bind(0), alloc(), attach(0)]);
    expectErrno('EBUSY', m, s, destroy());
  });

  it('frees the hwpt once the last device detached', () => {
    const m = model(SCENARIO);
    const s = run(m, [vfioPci(0), bind(0), alloc(), attach(0), detach(0)]);
    expect(expectOk(m, s, destroy()).containers[0]!.hwpt_allocated).toEqual([false, false]);
  });

  it('an id not in ictx->objects gets -ENOENT', () => {
    const m = model(SCENARIO);
    expectErrno('ENOENT', m, m.init, destroy());
  });
});

describe('I17 NoDanglingDomain on hwpt lifetimes', () => {
  it('holds on iommufd-hwpt-destroy under the kernel rule', () => {
    const r = explore(buildModel(findScenario(SCENARIO)!, findVariant('current')!));
    expect(r.violations.map((v) => v.invariant)).toEqual([]);
  });

  it('IOMMU_DESTROY that ignores obj->users (iommufd-destroy-ignores-users) frees an attached hwpt', () => {
    const r = explore(buildModel(findScenario(SCENARIO)!, findVariant('iommufd-destroy-ignores-users')!));
    const v = r.violations.find((x) => x.invariant === 'I17')!;
    expect(v.steps.map((x) => x.event.type)).toEqual(['really_probe', 'vfio_df_ioctl_bind_iommufd', 'iommufd_hwpt_alloc', 'vfio_df_ioctl_attach_pt', 'iommufd_destroy']);
    expect(v.reason).toContain('group->domain is hwpt:0.0, which was freed');
  });
});

describe('a variant file overrides each new call', () => {
  it.each(['iommufd_hwpt_alloc', 'iommufd_destroy'] as const)('%s', (name) => {
    expectOverridable(name, findScenario(SCENARIO)!);
  });
});

describe('a scenario file with hwptLifetime', () => {
  it('gives the context hwpt lifetimes; the kernel rule holds, a destroy ignoring obj->users breaks I17', () => {
    const text = `name: vmm-hwpts
devices:
  - name: nic
    drivers: [vfio-pci]
contexts:
  - name: vmm
    paths: [iommufd]
    hwptLifetime: true
`;
    const { scenario } = parseScenarioFile(text, 'hwpt.yaml');
    expect(scenario.contexts[0]!.hwptLifetime).toBe(true);
    expect(explore(buildModel(scenario, findVariant('current')!)).violations).toEqual([]);
    expect(explore(buildModel(scenario, findVariant('iommufd-destroy-ignores-users')!)).violations.map((v) => v.invariant)).toEqual(['I17']);
  });
});
