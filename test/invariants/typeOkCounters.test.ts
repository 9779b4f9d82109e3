/**
 * TypeOK checks the kernel counters the model keeps (vfio_group->drivers,
 * vfio_group->cdev_device_open_cnt, vfio_group->container_users, each iommufd group's device
 * count) and group->devices against the devices: a rule that forgets one of them is caught.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/explore.ts';
import { exploreFast } from '../../src/engine/packed/exploreFast.ts';
import { typeOk } from '../../src/invariants/typeOk.ts';
import { ok } from '../../src/kernel/errno.ts';
import { buildModel } from '../../src/machines/model.ts';
import { currentKernel } from '../../src/machines/semantics/index.ts';
import type { KernelFn, KernelFnName } from '../../src/machines/semantics/kernel.ts';
import { addToVfioGroup, updateGroup, updateVfioGroup, type SystemState } from '../../src/machines/state.ts';
import { defineVariant } from '../../src/machines/variants/defineVariant.ts';
import { findScenario } from '../../src/scenarios/builtin.ts';
import { model } from '../helpers/model.ts';

/**
 * A test variant whose kernel function `fn` runs as today's, then `forget` rewrites its
 * successor (the counter update the flawed rule leaves out).
 */
function forgets(fn: KernelFnName, description: string, forget: (before: SystemState, after: SystemState) => SystemState) {
  const rule = currentKernel[fn] as KernelFn<unknown>;
  const flawed: KernelFn<unknown> = (env, s, a) => {
    const r = rule(env, s, a);
    return r.ok ? ok(forget(s, r.next)) : r;
  };
  return defineVariant({ name: `test-${fn}-forgets`, kind: 'seeded', description, source: 'test', breaks: ['TypeOK'], overrides: { [fn]: flawed } });
}

/** vfio_df_unbind_iommufd without vfio_device_unblock_group: cdev_device_open_cnt leaks. */
const unblockSkipped = forgets('vfio_df_unbind_iommufd', 'vfio_df_unbind_iommufd forgets vfio_device_unblock_group (cdev_device_open_cnt leaks).', (_, next) =>
  addToVfioGroup(next, 0, 'cdev_device_open_cnt', 1),
);

/** A VFIO probe that does not register the device with its vfio_group (drivers not counted). */
const registerSkipped = forgets('really_probe', 'really_probe of a VFIO driver skips vfio_register_group_dev (vfio_group->drivers not incremented).', (s, next) =>
  updateVfioGroup(next, 0, { drivers: s.vfio_groups[0]!.drivers }),
);

/** vfio_device_fops_release without vfio_group_unuse_container: the group file reference leaks. */
const unuseSkipped = forgets(
  'vfio_device_fops_release',
  'vfio_device_fops_release forgets vfio_group_unuse_container (container_users and the group file reference leak).',
  (_, next) => addToVfioGroup(next, 0, 'container_users', 1),
);

/** iommu_release_device that does not unlink the device from group->devices. */
const unlinkSkipped = forgets('iommu_release_device', '__iommu_group_remove_device forgets to unlink the device from group->devices.', (s, next) =>
  updateGroup(next, 0, { devices: s.groups[0]!.devices }),
);

/** A group-file close that always defers the release, even with no device fd holding the file (it would never run). */
const deferAlways = forgets('vfio_group_fops_release', 'vfio_group_fops_release defers the release although no device fd holds the group file.', (s, next) =>
  s.vfio_groups[0]!.opened_by === null ? next : updateVfioGroup(s, 0, { fd_closed: true }),
);

describe('TypeOK: the kernel counters agree with the devices', () => {
  it('holds under the current kernel on iommufd-two-contexts (both engines)', () => {
    const m = model('iommufd-two-contexts');
    expect(explore(m, { invariants: ['TypeOK'] }).status).toBe('holds');
    expect(exploreFast(m, { invariants: ['TypeOK'] }).status).toBe('holds');
  });

  it.each([
    ['a vfio_df_unbind_iommufd that skips vfio_device_unblock_group breaks TypeOK at cdev_device_open_cnt', 'iommufd-two-contexts', unblockSkipped, /cdev_device_open_cnt is 1 but 0 cdev\(s\) are bound/, 'vfio_df_unbind_iommufd'],
    ['a vfio_device_fops_release that skips vfio_group_unuse_container breaks TypeOK at container_users', 'vfio-vs-dma-api', unuseSkipped, /vfio_group->container_users is 2 but the group has a container and 0 device fd\(s\) are open/, 'vfio_device_fops_release'],
    ['an iommu_release_device that leaves the device in group->devices breaks TypeOK', 'sva-peer-hot-add', unlinkSkipped, /is absent but in group->devices/, 'iommu_release_device'],
  ] as const)('%s', (_name, scenario, variant, reason, lastCall) => {
    const m = buildModel(findScenario(scenario)!, variant);
    const r = explore(m, { invariants: ['TypeOK'] });
    expect(r.status).toBe('violated');
    expect(r.violations[0]!.reason).toMatch(reason);
    expect(r.violations[0]!.steps.at(-1)!.event.type).toBe(lastCall);
    expect(exploreFast(m, { invariants: ['TypeOK'] }).violations[0]!.reason).toBe(r.violations[0]!.reason);
  });

  it('a group-file close that defers the release with no device fd open breaks TypeOK (the release would never run)', () => {
    const m = buildModel(findScenario('vfio-vs-dma-api')!, deferAlways);
    const r = explore(m, { invariants: ['TypeOK'] });
    expect(r.status).toBe('violated');
    expect(r.violations[0]!.reason).toMatch(/the VFIO group file waits for a deferred release but no device fd holds it/);
    expect(r.violations[0]!.steps.at(-1)!.event.type).toBe('vfio_group_fops_release');
    expect(exploreFast(m, { invariants: ['TypeOK'] }).violations[0]!.reason).toBe(r.violations[0]!.reason);
  });

  it('a VFIO probe that skips vfio_register_group_dev breaks TypeOK at vfio_group->drivers', () => {
    const m = buildModel(findScenario('vfio-vs-dma-api')!, registerSkipped);
    const r = explore(m, { invariants: ['TypeOK'] });
    expect(r.status).toBe('violated');
    expect(r.violations[0]!.reason).toMatch(/vfio_group->drivers is 0 but 1 device\(s\) are bound to a VFIO driver/);
    expect(r.violations[0]!.steps).toHaveLength(1);
  });


  it('a device missing from group->devices while present breaks TypeOK', () => {
    const m = model('vfio-vs-dma-api');
    const s = updateGroup(m.init, 0, { devices: m.init.groups[0]!.devices.slice(1) });
    expect(typeOk.check!(s, m.scenario)).toMatch(/is present but not in group->devices/);
  });

  it('an iommufd group whose count drifts from the attached devices breaks TypeOK', () => {
    const m = model('iommufd-two-contexts');
    const s = { ...m.init, iommufd_groups: [{ ctx: 0, group: 0, hwpt: 0, devices: 1 }] };
    expect(typeOk.check!(s, m.scenario)).toMatch(/ctx0's iommufd group lists 1 attached device\(s\) but 0 are attached/);
  });
});
