/**
 * VFIO hot reset (issue 16, Deliver 2): VFIO_DEVICE_PCI_HOT_RESET (vfio_pci_ioctl_pci_hot_reset ...
 * pci_bus_restore_locked), its ownership proof (vfio_dev_in_groups on the group path,
 * vfio_iommufd_get_dev_id on the cdev path), each errno, and the pinned kernel's I20 finding
 * (pci_reset_bus does not stage the IOMMU). Built-in vfio-hot-reset-bus: 01:00.0 (ATS) and 01:00.1
 * of one I350, bus 01, IOMMU groups 0 and 1; context 0 `vmm` (VFIO groups), context 1 `peer`
 * (iommufd, 01:00.1 only).
 */
import { describe, expect, it } from 'vitest';
import { hotResetOwned } from '../../../src/invariants/hotResetOwned.ts';
import { i20BlockedForReset } from '../../../src/invariants/i20BlockedForReset.ts';
import { buildModel } from '../../../src/machines/model.ts';
import type { Scenario } from '../../../src/machines/scenario.ts';
import { findVariant } from '../../../src/machines/variants/index.ts';
import { ctx as ctxSpec, findScenario } from '../../../src/scenarios/builtin.ts';
import { expectOverridable } from '../../helpers/overridable.ts';
import { expectErrno, expectOk, model, run } from '../../helpers/model.ts';

const SCENARIO = 'vfio-hot-reset-bus';
const probe = (dev: number) => ({ type: 'really_probe', dev, driver: 'vfio-pci' }) as const;
const open = (group: number) => ({ type: 'vfio_group_fops_open', ctx: 0, group }) as const;
const legacyFd0 = [open(0), { type: 'vfio_group_ioctl_set_container', ctx: 0, group: 0 }, { type: 'vfio_ioctl_set_iommu', ctx: 0 }, { type: 'vfio_group_ioctl_get_device_fd', ctx: 0, dev: 0 }] as const;
const hotReset = (ctx: number, dev: number) => ({ type: 'vfio_pci_ioctl_pci_hot_reset', ctx, dev }) as const;
const restore = (ctx: number, dev: number) => ({ type: 'pci_bus_restore_locked', ctx, dev }) as const;
const peerBind = { type: 'vfio_df_ioctl_bind_iommufd', ctx: 1, dev: 1 } as const;
const types = (es: { type: string }[]) => es.map((e) => e.type);
const withDevices = (f: (d: Scenario['devices'][number], i: number) => Scenario['devices'][number]): Scenario => {
  const s = findScenario(SCENARIO)!;
  return { ...s, devices: s.devices.map(f) };
};

describe('vfio_pci_ioctl_pci_hot_reset on the group path (count > 0: the group fds as proof)', () => {
  it('with both VFIO group files held, resets the whole dev_set: both functions in reset, memory_lock held, until pci_bus_restore_locked', () => {
    const m = model(SCENARIO);
    const s = run(m, [probe(0), probe(1), ...legacyFd0, open(1)]);
    const t = expectOk(m, s, hotReset(0, 0));
    expect(t.devices.map((d) => [d.hot_reset, d.resetting])).toEqual([[0, 1], [0, 1]]);
    // The device fd cannot be closed and neither driver unbound while the bus reset holds the locks; the end is offered once.
    expect(types(m.events(t))).not.toContain('vfio_device_fops_release');
    expect(types(m.events(t))).not.toContain('device_release_driver');
    expect(m.events(t).filter((e) => e.type === 'pci_bus_restore_locked')).toEqual([restore(0, 0)]);
    const u = expectOk(m, t, restore(0, 0));
    expect(u.devices.map((d) => [d.hot_reset, d.resetting])).toEqual([[null, 0], [null, 0]]);
  });

  it('without the group file of 01:00.1 is -EINVAL: vfio_dev_in_groups finds no passed fd of its VFIO group', () => {
    const m = model(SCENARIO);
    const r = expectErrno('EINVAL', m, run(m, [probe(0), probe(1), ...legacyFd0]), hotReset(0, 0));
    expect(!r.ok && r.reason).toMatch(/01:00\.1 is not owned: no group fd passed is 01:00\.1's VFIO group/);
  });

  it('a second hot reset while the first holds memory_lock is -EBUSY (down_write_trylock)', () => {
    const m = model(SCENARIO);
    const t = run(m, [probe(0), probe(1), ...legacyFd0, open(1), hotReset(0, 0)]);
    const r = expectErrno('EBUSY', m, t, hotReset(0, 0));
    expect(!r.ok && r.reason).toMatch(/down_write_trylock\(&vdev->memory_lock\) of 01:00\.0 fails: another hot reset holds it/);
  });
});

describe('vfio_pci_ioctl_pci_hot_reset on the cdev path (count == 0: the iommufd context as proof)', () => {
  it('is -EINVAL when a dev_set member is neither bound to the iommufd nor in a group it owns (vfio_iommufd_get_dev_id: -ENODEV)', () => {
    const m = model(SCENARIO);
    const r = expectErrno('EINVAL', m, run(m, [probe(0), probe(1), peerBind]), hotReset(1, 1));
    expect(!r.ok && r.reason).toMatch(/01:00\.0 is not owned: 01:00\.0 is not bound to the context's iommufd and no device of its IOMMU group is/);
  });

  it('succeeds when the context is bound to every member', () => {
    const s = { ...findScenario(SCENARIO)!, contexts: [ctxSpec('vmm', ['iommufd'], 0)] };
    const m = buildModel(s, findVariant('current')!);
    const t = expectOk(m, run(m, [probe(0), probe(1), { type: 'vfio_df_ioctl_bind_iommufd', ctx: 0, dev: 0 }, { type: 'vfio_df_ioctl_bind_iommufd', ctx: 0, dev: 1 }]), hotReset(0, 0));
    expect(t.devices.map((d) => d.hot_reset)).toEqual([0, 0]);
  });
});

describe('vfio_pci_ioctl_pci_hot_reset errors before the ownership proof', () => {
  it('a function of the bus not bound to vfio-pci is -EINVAL: vfio_pci_dev_set_resettable', () => {
    const m = model(SCENARIO);
    const r = expectErrno('EINVAL', m, run(m, [probe(0), ...legacyFd0]), hotReset(0, 0));
    expect(!r.ok && r.reason).toMatch(/vfio_pci_dev_set_resettable: 01:00\.1 is on the bus but not bound to vfio-pci/);
  });

  it('no working slot or bus reset is -ENODEV (pci_probe_reset_slot / pci_probe_reset_bus)', () => {
    const m = buildModel(withDevices((d, i) => (i === 0 ? { ...d, hotReset: false } : d)), findVariant('current')!);
    expectErrno('ENODEV', m, run(m, [probe(0), probe(1), ...legacyFd0, open(1)]), hotReset(0, 0));
  });

  it('a reset method running on a member is -EAGAIN: pci_reset_bus\'s pci_bus_trylock fails', () => {
    const m = buildModel(withDevices((d, i) => (i === 1 ? { ...d, resettable: true } : d)), findVariant('current')!);
    const s = run(m, [probe(0), probe(1), ...legacyFd0, open(1), { type: 'pci_dev_reset_iommu_prepare', dev: 1 }]);
    expectErrno('EAGAIN', m, s, hotReset(0, 0));
  });
});

describe('the bus reset and the IOMMU (I20)', () => {
  it('pinned kernel: pci_bus_save_and_disable_locked does not call pci_dev_reset_iommu_prepare, so the ATS function is reset on the VMM\'s domain', () => {
    const m = model(SCENARIO);
    const t = run(m, [probe(0), probe(1), ...legacyFd0, open(1), hotReset(0, 0)]);
    expect(t.devices[0]!.hw).toBe('container:0');
    expect(i20BlockedForReset.check!(t, m.scenario)).toMatch(/01:00\.0 is in reset .* on container:0, not the blocking domain/);
  });

  it('hot-reset-stages-iommu parks every member on the blocking domain and restores its domain at the end', () => {
    const m = model(SCENARIO, 'hot-reset-stages-iommu');
    const t = run(m, [probe(0), probe(1), ...legacyFd0, open(1), hotReset(0, 0)]);
    expect(t.devices[0]).toMatchObject({ hw: 'blocking', blocked: true });
    expect(i20BlockedForReset.check!(t, m.scenario)).toBeNull();
    expect(expectOk(m, t, restore(0, 0)).devices[0]).toMatchObject({ hw: 'container:0', blocked: false, resetting: 0 });
  });
});

describe('RESET-OWNED (HotResetTouchesOnlyOwned)', () => {
  it('without the ownership proof, peer resets the VMM\'s 01:00.0 through its 01:00.1', () => {
    const m = model(SCENARIO, 'hot-reset-without-ownership-proof');
    const s = run(m, [probe(0), probe(1), ...legacyFd0, peerBind]);
    const t = expectOk(m, s, hotReset(1, 1));
    expect(hotResetOwned.step!(s, hotReset(1, 1), t, m.scenario)).toMatch(/peer's VFIO_DEVICE_PCI_HOT_RESET through 01:00\.1 resets 01:00\.0, whose group it neither owns nor holds the group file of \(its group is owned by vfio_group\)/);
  });

  it('is not judged without a hotReset device, nor when every hotReset device is alone on its bus', () => {
    expect(hotResetOwned.notJudged!(findScenario('vfio-bar-mmap')!)).toBe('no device of the scenario has hotReset: no VFIO_DEVICE_PCI_HOT_RESET');
    expect(hotResetOwned.notJudged!(findScenario(SCENARIO)!)).toBeNull();
    const alone = { ...findScenario('vfio-bar-mmap')!, devices: findScenario('vfio-bar-mmap')!.devices.map((d) => ({ ...d, hotReset: true })) };
    expect(hotResetOwned.notJudged!(alone)).toMatch(/alone on its bus/);
  });
});

describe('every new call can be overridden by a variant file', () => {
  // Without the ATS capability I20 does not stop the exploration at the reset: its end is reached too.
  const noAts = withDevices(({ ats: _ats, ...d }) => d);
  const cdevOnly = { ...noAts, contexts: [ctxSpec('vmm', ['iommufd'], 0)] };
  it.each(['vfio_pci_ioctl_pci_hot_reset', 'vfio_dev_in_groups', 'pci_bus_save_and_disable_locked', 'pci_bus_restore_locked'] as const)('%s', (name) => {
    expectOverridable(name, noAts);
  });
  it('vfio_iommufd_get_dev_id', () => expectOverridable('vfio_iommufd_get_dev_id', cdevOnly));
});
