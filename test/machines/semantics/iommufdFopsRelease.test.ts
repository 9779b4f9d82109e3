/**
 * Closing the iommufd (issue 16, domain lifetimes): close() of the context's iommufd fd and
 * iommufd_fops_release (drivers/iommu/iommufd/main.c), which runs at the file's last reference.
 * A bound VFIO cdev holds one (vfio_df_ioctl_bind_iommufd -> iommufd_ctx_from_fd, dropped by
 * iommufd_ctx_put in vfio_df_unbind_iommufd, drivers/vfio/device_cdev.c), so the release waits for
 * the last unbind. A release that ignores those references frees attached hwpts (I17).
 * Built-in iommufd-hwpt-destroy.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/engine/explore.ts';
import { buildModel } from '../../../src/machines/model.ts';
import { findVariant } from '../../../src/machines/variants/index.ts';
import { findScenario } from '../../../src/scenarios/builtin.ts';
import { expectErrno, expectOk, model, run } from '../../helpers/model.ts';
import { expectOverridable } from '../../helpers/overridable.ts';

const SCENARIO = 'iommufd-hwpt-destroy';
const VARIANT = 'iommufd-release-ignores-device-refs';
const vfioPci = (dev: number) => ({ type: 'really_probe', dev, driver: 'vfio-pci' }) as const;
const bind = (dev: number) => ({ type: 'vfio_df_ioctl_bind_iommufd', ctx: 0, dev }) as const;
const unbind = (dev: number) => ({ type: 'vfio_df_unbind_iommufd', ctx: 0, dev }) as const;
const attach = (dev: number, hwpt = 0) => ({ type: 'vfio_df_ioctl_attach_pt', ctx: 0, dev, hwpt }) as const;
const detach = (dev: number) => ({ type: 'vfio_df_ioctl_detach_pt', ctx: 0, dev }) as const;
const alloc = (hwpt = 0) => ({ type: 'iommufd_hwpt_alloc', ctx: 0, hwpt }) as const;
const destroy = (hwpt = 0) => ({ type: 'iommufd_destroy', ctx: 0, hwpt }) as const;
const close = { type: 'iommufd_fops_release', ctx: 0 } as const;

describe('scenarios without hwpt lifetimes have no iommufd close', () => {
  it('iommufd-two-contexts has no iommufd_open and offers no iommufd_fops_release', () => {
    const m = model('iommufd-two-contexts');
    expect(m.init.containers[0]).not.toHaveProperty('iommufd_open');
    expect(m.events(m.init).map((e) => e.type)).not.toContain('iommufd_fops_release');
  });
});

describe('close() of an iommufd no device is bound to', () => {
  it('runs iommufd_fops_release at once: every hwpt is destroyed', () => {
    const m = model(SCENARIO);
    const s = expectOk(m, run(m, [alloc(0), alloc(1)]), close);
    expect(s.containers[0]!.iommufd_open).toBe(false);
    expect(s.containers[0]!.hwpt_allocated).toEqual([false, false]);
  });

  it('after the close no IOMMU_* ioctl, bind or second close is offered, and each gets -EBADF', () => {
    const m = model(SCENARIO);
    const s = run(m, [vfioPci(0), close]);
    const offered = m.events(s).map((e) => e.type);
    for (const t of ['iommufd_hwpt_alloc', 'iommufd_destroy', 'iommufd_fops_release', 'vfio_df_ioctl_bind_iommufd']) expect(offered).not.toContain(t);
    expectErrno('EBADF', m, s, alloc());
    expectErrno('EBADF', m, s, destroy());
    expectErrno('EBADF', m, s, close);
    expectErrno('EBADF', m, s, bind(0));
  });
});

describe('close() while a VFIO cdev is bound (it holds a reference on the iommufd file)', () => {
  it('returns 0 but defers the release: the attached hwpt and the group domain stay', () => {
    const m = model(SCENARIO);
    const s = expectOk(m, run(m, [vfioPci(0), bind(0), alloc(0), alloc(1), attach(0)]), close);
    expect(s.containers[0]!.iommufd_open).toBe(false);
    expect(s.containers[0]!.hwpt_allocated).toEqual([true, true]);
    expect(s.groups[0]!.domain).toBe('hwpt:0.0');
  });

  it('the device still attaches and detaches through its cdev (df->iommufd)', () => {
    const m = model(SCENARIO);
    const s = run(m, [vfioPci(0), bind(0), alloc(0), alloc(1), attach(0), close]);
    expect(expectOk(m, s, attach(0, 1)).groups[0]!.domain).toBe('hwpt:0.1');
    expect(expectOk(m, s, detach(0)).devices[0]!.iommufd).toEqual({ ctx: 0, hwpt: null });
  });

  it('the last unbind (iommufd_ctx_put) runs the release; an earlier one does not', () => {
    const m = model(SCENARIO);
    const s = run(m, [vfioPci(0), vfioPci(1), bind(0), bind(1), alloc(0), attach(0), attach(1), close]);
    const first = expectOk(m, s, unbind(0));
    expect(first.containers[0]!.hwpt_allocated).toEqual([true, false]);
    const last = expectOk(m, first, unbind(1));
    expect(last.containers[0]!.hwpt_allocated).toEqual([false, false]);
    expect(last.groups[0]!.domain).toBe('default');
  });
});

describe('I17 NoDanglingDomain across the iommufd close', () => {
  it('holds on iommufd-hwpt-destroy under the kernel rule', () => {
    expect(explore(buildModel(findScenario(SCENARIO)!, findVariant('current')!)).violations).toEqual([]);
  });

  it('a release that ignores the bound devices\' references (iommufd-release-ignores-device-refs) frees the attached hwpt', () => {
    const r = explore(buildModel(findScenario(SCENARIO)!, findVariant(VARIANT)!));
    const v = r.violations.find((x) => x.invariant === 'I17')!;
    expect(v.steps.map((x) => x.event.type)).toEqual(['really_probe', 'vfio_df_ioctl_bind_iommufd', 'iommufd_hwpt_alloc', 'vfio_df_ioctl_attach_pt', 'iommufd_fops_release']);
    expect(v.reason).toContain('group->domain is hwpt:0.0, which was freed');
  });
});

describe('a variant file overrides the new call', () => {
  it('iommufd_fops_release', () => {
    expectOverridable('iommufd_fops_release', findScenario(SCENARIO)!);
  });
});
