/**
 * Interrupts (issue 16, Deliver 4): iommu_group_has_isolated_msi (drivers/iommu/iommu.c), the
 * -EPERM of vfio_iommu_type1_attach_group (vfio_iommu_type1.c) and iommufd_device_bind
 * (iommufd/device.c) without isolated MSI unless allow_unsafe_interrupts, the device's DMA write
 * to the MSI doorbell (msi_doorbell_write) and the invariant MSI (MsiIsolation). Built-ins
 * msi-no-remapping and msi-unsafe-interrupts.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/engine/explore.ts';
import { ok } from '../../../src/kernel/errno.ts';
import { msiIsolation } from '../../../src/invariants/msiIsolation.ts';
import { buildModel } from '../../../src/machines/model.ts';
import { msiWriteOutcome } from '../../../src/machines/msiDoorbell.ts';
import type { Scenario } from '../../../src/machines/scenario.ts';
import { currentKernel } from '../../../src/machines/semantics/index.ts';
import { defineVariant, findVariant } from '../../../src/machines/variants/index.ts';
import { findScenario } from '../../../src/scenarios/builtin.ts';
import { expectErrno, model, run } from '../../helpers/model.ts';
import { expectOverridable } from '../../helpers/overridable.ts';

const vfioPci = (dev: number) => ({ type: 'really_probe', dev, driver: 'vfio-pci' }) as const;
const bind = (dev: number) => ({ type: 'vfio_df_ioctl_bind_iommufd', ctx: 0, dev }) as const;
const attach = (dev: number) => ({ type: 'vfio_df_ioctl_attach_pt', ctx: 0, dev, hwpt: 0 }) as const;
const openGroup = (group = 0) => ({ type: 'vfio_group_fops_open', ctx: 0, group }) as const;
const setContainer = (group = 0) => ({ type: 'vfio_group_ioctl_set_container', ctx: 0, group }) as const;
const setIommu = { type: 'vfio_ioctl_set_iommu', ctx: 0 } as const;
const getFd = (dev: number) => ({ type: 'vfio_group_ioctl_get_device_fd', ctx: 0, dev }) as const;
const doorbell = (dev: number) => ({ type: 'msi_doorbell_write', dev }) as const;

const noRemapping = findScenario('msi-no-remapping')!;
/** The same machine with the platform settings changed. */
const withPlatform = (platform: Scenario['platform'], name = 'msi-test'): Scenario => ({ ...noRemapping, name, platform });

describe('iommu_group_has_isolated_msi', () => {
  it('answers isolated (ok) with interrupt remapping, the default of every scenario before issue 16', () => {
    const m = model('vfio-vs-dma-api');
    expect(currentKernel.iommu_group_has_isolated_msi({ k: currentKernel, scenario: m.scenario }, m.init, { group: 0 }).ok).toBe(true);
  });

  it('answers -EPERM with the reason without interrupt remapping', () => {
    const m = model('msi-no-remapping');
    const r = currentKernel.iommu_group_has_isolated_msi({ k: currentKernel, scenario: m.scenario }, m.init, { group: 0 });
    expect(r.ok ? '' : r.reason).toContain('no interrupt remapping');
  });
});

describe('vfio_iommu_type1_attach_group: -EPERM without isolated MSI (allow_unsafe_interrupts off)', () => {
  it('VFIO_SET_IOMMU fails with -EPERM and leaves the group claimed on the blocking domain; no device fd', () => {
    const m = model('msi-no-remapping');
    const s = run(m, [vfioPci(0), openGroup(), setContainer()]);
    const r = expectErrno('EPERM', m, s, setIommu);
    expect(r.ok ? '' : r.reason).toContain('vfio_iommu_type1.allow_unsafe_interrupts is off');
    // out_detach put the group back where the attach found it: no state change, no after.
    expect(r.ok || r.after).toBeFalsy();
    expect(s.groups[0]).toMatchObject({ owner: 'vfio_group', domain: 'blocking' });
    expectErrno('EINVAL', m, s, getFd(0));
  });

  it('VFIO_GROUP_SET_CONTAINER onto a container with a backend: the attach of the unisolated group fails and its ownership is released', () => {
    const twoGroups: Scenario = {
      ...noRemapping,
      name: 'msi-two-groups',
      groups: [{ name: 'a' }, { name: 'b' }],
      devices: [noRemapping.devices[0]!, { ...noRemapping.devices[0]!, name: '02:00.0', group: 1 }],
    };
    // Group a's MSIs are isolated, group b's are not (what iommu_group_has_isolated_msi computes per group).
    const perGroup = defineVariant({
      name: 'isolated-msi-group-a-only',
      kind: 'seeded',
      description: 'test',
      source: 'test',
      breaks: [],
      overrides: { iommu_group_has_isolated_msi: (env, s, a) => (a.group === 0 ? ok(s) : currentKernel.iommu_group_has_isolated_msi(env, s, a)) },
    });
    const m = buildModel(twoGroups, perGroup);
    const s = run(m, [vfioPci(0), vfioPci(1), openGroup(0), setContainer(0), setIommu, openGroup(1)]);
    expect(s.groups[0]!.domain).toBe('container:0');
    const r = expectErrno('EPERM', m, s, setContainer(1));
    expect(r.ok ? '' : r.reason).toContain('vfio_iommu_type1.allow_unsafe_interrupts is off');
    const after = r.ok ? null : (r.after ?? s);
    expect(after!.groups[1]).toMatchObject({ owner: null, domain: 'default' });
    expect(after!.vfio_groups[1]!.container).toBe(false);
  });

  it('with allow_unsafe_interrupts the group is attached (type1 says nothing, no WARN_ON) and the device fd is given', () => {
    const m = model('msi-unsafe-interrupts');
    const s = run(m, [vfioPci(0), openGroup(), setContainer(), setIommu, getFd(0)]);
    expect(s.devices[0]).toMatchObject({ hw: 'container:0', group_fd: 0 });
    expect(s.warn).toBeNull();
  });
});

describe('iommufd_device_bind: -EPERM without isolated MSI, before the DMA ownership claim', () => {
  it('VFIO_DEVICE_BIND_IOMMUFD fails with -EPERM and claims nothing', () => {
    const m = model('msi-no-remapping');
    const s = run(m, [vfioPci(0)]);
    const r = expectErrno('EPERM', m, s, bind(0));
    expect(r.ok ? '' : r.reason).toContain('iommufd.allow_unsafe_interrupts is off');
    expect(r.ok || r.after).toBeFalsy();
    expect(s.groups[0]).toMatchObject({ owner: null, domain: 'default' });
  });

  it('with allow_unsafe_interrupts the bind succeeds with a dev_warn only: no WARN_ON is recorded', () => {
    const m = model('msi-unsafe-interrupts');
    const s = run(m, [vfioPci(0), bind(0)]);
    expect(s.devices[0]!.iommufd).toEqual({ ctx: 0, hwpt: null });
    expect(s.warn).toBeNull();
  });
});

describe('msi_doorbell_write: the device\'s DMA write to the MSI doorbell', () => {
  it('is offered only on a present msi device a user context controls', () => {
    const m = model('msi-unsafe-interrupts');
    const probed = run(m, [vfioPci(0)]);
    expect(m.events(probed)).not.toContainEqual(doorbell(0));
    expect(m.events(run(m, [bind(0)], probed))).toContainEqual(doorbell(0));
    expect(m.events(run(m, [openGroup(), setContainer(), setIommu, getFd(0)], probed))).toContainEqual(doorbell(0));
  });

  it('is never offered on scenarios without an msi device (their state space is unchanged)', () => {
    const m = model('iommufd-hwpt-destroy');
    const s = run(m, [vfioPci(0), bind(0)]);
    expect(m.events(s).map((e) => e.type)).not.toContain('msi_doorbell_write');
  });

  it('raises only the device\'s own vectors with interrupt remapping, any vector without', () => {
    const m = model('msi-unsafe-interrupts');
    const s = run(m, [vfioPci(0), bind(0)]);
    expect(msiWriteOutcome(m.scenario, s, 0)).toBe('any');
    expect(msiWriteOutcome(withPlatform({ irqRemapping: true }), s, 0)).toBe('own');
  });

  it('on a SW_MSI platform (ARM) reaches the doorbell only through a domain that maps it: not from the blocking domain', () => {
    const sw = withPlatform({ irqRemapping: false, allowUnsafeInterrupts: true, msi: 'sw' }, 'msi-sw-unsafe');
    const m = buildModel(sw, findVariant('current')!);
    const bound = run(m, [vfioPci(0), bind(0)]);
    expect(bound.devices[0]!.hw).toBe('blocking');
    expect(msiWriteOutcome(sw, bound, 0)).toBe('none');
    expect(msi(m, bound)).toBeNull();
    const attached = run(m, [attach(0)], bound);
    expect(msiWriteOutcome(sw, attached, 0)).toBe('any');
    expect(msi(m, attached)).toContain('01:00.0, controlled by vmm, writes the MSI doorbell without interrupt remapping');
  });
});

/** The MSI step invariant on a doorbell write of device 0 in `s`. */
const msi = (m: ReturnType<typeof model>, s: Parameters<NonNullable<typeof msiIsolation.step>>[0]) => msiIsolation.step!(s, doorbell(0), s, m.scenario);

describe('MSI (MsiIsolation)', () => {
  it('holds on msi-no-remapping: the kernel gives the device to no user', () => {
    const r = explore(model('msi-no-remapping'));
    expect(r.violations).toEqual([]);
  });

  it('allow_unsafe_interrupts: the doorbell write of the user\'s device raises any interrupt (the accepted trade-off)', () => {
    const v = explore(model('msi-unsafe-interrupts')).violations.find((x) => x.invariant === 'MSI')!;
    expect(v.steps.map((x) => x.event.type)).toEqual(['really_probe', 'vfio_df_ioctl_bind_iommufd', 'msi_doorbell_write']);
    expect(v.reason).toContain('allow_unsafe_interrupts is set: the admin accepted this');
  });

  it.each(['isolated-msi-not-checked', 'iommufd-bind-skips-msi-check'])('%s breaks it on msi-no-remapping with a trace through the cdev bind', (variant) => {
    const v = explore(model('msi-no-remapping', variant)).violations.find((x) => x.invariant === 'MSI')!;
    expect(v.steps.map((x) => x.event.type)).toEqual(['really_probe', 'vfio_df_ioctl_bind_iommufd', 'msi_doorbell_write']);
    expect(v.reason).toContain('can raise any interrupt of the machine');
    expect(v.reason).not.toContain('allow_unsafe_interrupts');
  });

  it('is not judged, with the reason, where it cannot fail', () => {
    expect(msiIsolation.notJudged!(findScenario('vfio-vs-dma-api')!)).toContain('no device of the scenario has `msi`');
    expect(msiIsolation.notJudged!({ ...noRemapping, contexts: [] })).toContain('no `msi` device can be user-controlled');
    expect(msiIsolation.notJudged!(withPlatform({ irqRemapping: true }))).toContain('the platform remaps interrupts');
    expect(msiIsolation.notJudged!(noRemapping)).toBeNull();
  });
});

describe('a variant file overrides each new call', () => {
  it.each(['iommu_group_has_isolated_msi', 'vfio_iommu_type1_attach_group'] as const)('%s', (name) => {
    expectOverridable(name, withPlatform({ irqRemapping: true }, 'msi-remapped'));
  });
});
