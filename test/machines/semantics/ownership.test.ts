/** The DMA-ownership rules of drivers/iommu/iommu.c, selftest style: one rule per test, errno named. */
import { describe, expect, it } from 'vitest';
import { expectErrno, expectOk, model, run } from '../../helpers/model.ts';

const m = model('vfio-vs-dma-api');
const e1000e0 = { type: 'really_probe', dev: 0, driver: 'e1000e' } as const;
const vfio0 = { type: 'really_probe', dev: 0, driver: 'vfio-pci' } as const;
const vfio1 = { type: 'really_probe', dev: 1, driver: 'vfio-pci' } as const;
const e1000e1 = { type: 'really_probe', dev: 1, driver: 'e1000e' } as const;
const bind = (ctx: number, dev: number) => ({ type: 'vfio_df_ioctl_bind_iommufd', ctx, dev }) as const;

describe('iommu_device_use_default_domain / iommu_device_unuse_default_domain', () => {
  it('binding a DMA-API driver increments owner_cnt and keeps the default domain', () => {
    const s = expectOk(m, m.init, e1000e0);
    expect(s.groups[0]).toMatchObject({ owner: null, owner_cnt: 1, domain: 'default' });
  });

  it('binding a driver_managed_dma driver (vfio-pci) does not touch owner_cnt', () => {
    expect(expectOk(m, m.init, vfio0).groups[0]!.owner_cnt).toBe(0);
  });

  it('use_default_domain returns EBUSY while an iommufd context owns the group', () => {
    const s = run(m, [vfio0, bind(1, 0)]);
    expectErrno('EBUSY', m, s, e1000e1);
  });

  it('unbinding the DMA-API driver returns owner_cnt to 0', () => {
    const s = run(m, [e1000e0, { type: 'device_release_driver', dev: 0 }]);
    expect(s.groups[0]!.owner_cnt).toBe(0);
    expect(s.warn).toBeNull();
  });
});

describe('iommu_group_claim_dma_owner (legacy VFIO container path)', () => {
  const open = { type: 'vfio_group_fops_open', ctx: 0, group: 0 } as const;
  const setContainer = { type: 'vfio_group_ioctl_set_container', ctx: 0, group: 0 } as const;

  it('claim returns EPERM while a DMA-API driver is bound in the group', () => {
    const s = run(m, [vfio0, e1000e1, open]);
    expectErrno('EPERM', m, s, setContainer);
  });

  it('claim moves the whole group to the blocking domain', () => {
    const s = run(m, [vfio0, open, setContainer]);
    expect(s.groups[0]).toMatchObject({ owner: 'vfio_group', owner_cnt: 1, domain: 'blocking' });
    expect(s.devices.map((d) => d.hw)).toEqual(['blocking', 'blocking']);
  });

  it('GET_DEVICE_FD returns EINVAL before VFIO_SET_IOMMU attached the container', () => {
    const s = run(m, [vfio0, open, setContainer]);
    expectErrno('EINVAL', m, s, { type: 'vfio_group_ioctl_get_device_fd', ctx: 0, dev: 0 });
  });

  it('closing the group file releases ownership back to the default domain', () => {
    const s = run(m, [vfio0, open, setContainer, { type: 'vfio_ioctl_set_iommu', ctx: 0 }, { type: 'vfio_group_fops_release', ctx: 0, group: 0 }]);
    expect(s.groups[0]).toMatchObject({ owner: null, owner_cnt: 0, domain: 'default' });
  });

  it('opening the group file returns EBUSY while a device of the group is bound through its cdev', () => {
    const s = run(m, [vfio0, bind(1, 0)]);
    expectErrno('EBUSY', m, s, open);
  });
});

describe('iommu_device_claim_dma_owner (iommufd / VFIO cdev path)', () => {
  const m2 = model('iommufd-two-contexts');
  const both = [
    { type: 'really_probe', dev: 0, driver: 'vfio-pci' },
    { type: 'really_probe', dev: 1, driver: 'vfio-pci' },
  ] as const;

  it('a second claim by the same iommufd increments owner_cnt without changing the domain', () => {
    const s = run(m2, [...both, bind(0, 0), { type: 'vfio_df_ioctl_attach_pt', ctx: 0, dev: 0, hwpt: 0 }, bind(0, 1)]);
    expect(s.groups[0]).toMatchObject({ owner: 'ictx:0', owner_cnt: 2, domain: 'hwpt:0.0' });
  });

  it('a claim by another iommufd returns EPERM', () => {
    const s = run(m2, [...both, bind(0, 0)]);
    expectErrno('EPERM', m2, s, bind(1, 1));
  });

  it('attaching a group-mate to a different hwpt returns EINVAL (one hwpt per group)', () => {
    const s = run(m2, [...both, bind(0, 0), bind(0, 1), { type: 'vfio_df_ioctl_attach_pt', ctx: 0, dev: 0, hwpt: 0 }]);
    expectErrno('EINVAL', m2, s, { type: 'vfio_df_ioctl_attach_pt', ctx: 0, dev: 1, hwpt: 1 });
  });

  it('detaching the last device returns the group to the blocking domain, not the default', () => {
    const s = run(m2, [...both, bind(0, 0), { type: 'vfio_df_ioctl_attach_pt', ctx: 0, dev: 0, hwpt: 0 }, { type: 'vfio_df_ioctl_detach_pt', ctx: 0, dev: 0 }]);
    expect(s.groups[0]).toMatchObject({ owner: 'ictx:0', domain: 'blocking', pasid_array: [] });
  });

  it('replace moves the group from one hwpt to another without passing through blocking', () => {
    const s = run(m2, [...both, bind(0, 0), { type: 'vfio_df_ioctl_attach_pt', ctx: 0, dev: 0, hwpt: 0 }, { type: 'vfio_df_ioctl_attach_pt', ctx: 0, dev: 0, hwpt: 1 }]);
    expect(s.groups[0]!.domain).toBe('hwpt:0.1');
    expect(s.devices[0]!.iommufd).toEqual({ ctx: 0, hwpt: 1 });
  });
});

describe('iommu_attach_device and hot-plug', () => {
  const mp = model('private-domain-hot-add');
  const msm = { type: 'really_probe', dev: 0, driver: 'drm-msm' } as const;

  it('iommu_attach_device returns EINVAL while the group has two devices', () => {
    const s = run(mp, [msm]);
    expectErrno('EINVAL', mp, s, { type: 'iommu_attach_device', dev: 0 });
  });

  it('a device hot-added after the count check joins the private domain and a DMA-API bind gets EBUSY', () => {
    const s = run(mp, [msm, { type: 'iommu_release_device', dev: 1 }, { type: 'iommu_attach_device', dev: 0 }, { type: 'iommu_probe_device', dev: 1 }]);
    expect(s.devices[1]!.hw).toBe('private:0');
    expectErrno('EBUSY', mp, s, { type: 'really_probe', dev: 1, driver: 'e1000e' });
  });

  it('a device hot-added into an owned group joins the blocking domain and owner_cnt is unchanged', () => {
    const mh = model('hot-add-owned-group');
    const s = run(mh, [{ type: 'really_probe', dev: 0, driver: 'vfio-pci' }, bind(1, 0), { type: 'iommu_probe_device', dev: 1 }]);
    expect(s.devices[1]!.hw).toBe('blocking');
    expect(s.groups[0]!.owner_cnt).toBe(1);
  });
});

describe('iommu_sva_bind_device', () => {
  it('returns EINVAL when pci_enable_pasid found no ACS RR+UF on the path', () => {
    const ms = model('sva-driverless-peer');
    const s = run(ms, [{ type: 'really_probe', dev: 0, driver: 'idxd' }]);
    expectErrno('EINVAL', ms, s, { type: 'iommu_sva_bind_device', dev: 0 });
  });

  it('succeeds below a switch with ACS RR+UF, and the PASID then blocks claims', () => {
    const ms = model('sva-acs-switch');
    const s = run(ms, [{ type: 'really_probe', dev: 0, driver: 'idxd' }, { type: 'iommu_sva_bind_device', dev: 0 }]);
    expect(s.groups[0]!.pasid_array).toEqual([{ pasid: 1, domain: 'sva' }]);
    expect(ms.apply(s, { type: 'really_probe', dev: 0, driver: 'idxd' }).ok).toBe(false);
  });
});

describe('really_probe error path', () => {
  it('a failing probe() runs dma_cleanup, so owner_cnt is back to 0 (drivers/base/dd.c)', () => {
    const mf = model('probe-failure');
    const r = mf.apply(mf.init, { type: 'really_probe', dev: 0, driver: 'probe-fails' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errno).toBe('ENXIO');
    expect(!r.ok && r.after?.groups[0]!.owner_cnt).toBe(0);
  });

  it('w8-probe-error-leak leaks the count: owner_cnt stays 1 with no driver bound', () => {
    const mf = model('probe-failure', 'w8-probe-error-leak');
    const r = mf.apply(mf.init, { type: 'really_probe', dev: 0, driver: 'probe-fails' });
    expect(!r.ok && r.after?.groups[0]!.owner_cnt).toBe(1);
  });
});
