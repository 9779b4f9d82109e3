/**
 * Driver binding and device hot-plug, as far as they touch IOMMU ownership.
 *
 * - really_probe / __device_release_driver: drivers/base/dd.c
 * - pci_dma_configure / pci_dma_cleanup: drivers/pci/pci-driver.c
 * - __iommu_probe_device / __iommu_group_remove_device: drivers/iommu/iommu.c
 * - iommu_sva_bind_device / iommu_sva_unbind_device: drivers/iommu/iommu-sva.c
 *
 * Simplifications: firmware DMA setup and pci_enable_acs inside pci_dma_configure are not
 * modelled; device removal is enabled only once the driver is unbound (device_del releases the
 * driver before the IOMMU notifier runs, so the model makes that a separate step); VFIO's remove
 * waits for open device fds, which the model shows as -EBUSY.
 */
import { DEFAULT_DOMAIN, SVA_DOMAIN, SVA_PASID, privateDomain } from '../../kernel/domains.ts';
import { DRIVERS, isDriverName } from '../../kernel/drivers.ts';
import { err, errAfter, ok } from '../../kernel/errno.ts';
import { addToVfioGroup, groupOf, presentDevices, updateDevice, updateGroup, warnOn, withGroupDevice } from '../state.ts';
import type { Kernel } from './kernel.ts';
import { svaBindWithPasid, svaUnbindWithPasid } from './iommuSvaPasid.ts';

type DriverCoreFns = Pick<
  Kernel,
  | 'pci_dma_configure'
  | 'pci_dma_cleanup'
  | 'really_probe'
  | 'device_release_driver'
  | 'iommu_probe_device'
  | 'iommu_release_device'
  | 'iommu_sva_bind_device'
  | 'iommu_sva_unbind_device'
>;

const driverOf = (s: { devices: readonly { driver: string | null }[] }, dev: number) => {
  const name = s.devices[dev]?.driver;
  return name && isDriverName(name) ? DRIVERS[name] : null;
};

export const driverCore: DriverCoreFns = {
  /** pci_dma_configure (pci-driver.c): iommu_device_use_default_domain unless driver_managed_dma. */
  pci_dma_configure(env, s, { dev }) {
    const drv = driverOf(s, dev);
    if (!drv || drv.driverManagedDma) return ok(s);
    return env.k.iommu_device_use_default_domain(env, s, { dev });
  },

  /** pci_dma_cleanup (pci-driver.c): iommu_device_unuse_default_domain unless driver_managed_dma. */
  pci_dma_cleanup(env, s, { dev }) {
    const drv = driverOf(s, dev);
    if (!drv || drv.driverManagedDma) return ok(s);
    return env.k.iommu_device_unuse_default_domain(env, s, { dev });
  },

  /**
   * really_probe (dd.c): sets dev->driver, runs bus dma_configure (an error aborts the probe and
   * clears dev->driver), then the driver's probe(); when probe() fails the error path runs
   * dma_cleanup and clears dev->driver. A VFIO driver's successful probe registers the device
   * (vfio_register_group_dev -> vfio_device_set_group, drivers/vfio/group.c: vfio_group->drivers++).
   */
  really_probe(env, s, { dev, driver }) {
    const d = s.devices[dev];
    if (!d?.present) return err('ENODEV', 'no such device');
    if (d.driver) return err('EBUSY', `${d.driver} is already bound`);
    if (!isDriverName(driver)) return err('EINVAL', `unknown driver ${driver}`);
    const bound = updateDevice(s, dev, { driver });
    const r = env.k.pci_dma_configure(env, bound, { dev });
    if (!r.ok) return err(r.errno, `pci_dma_configure: ${r.reason}`);
    if (DRIVERS[driver].probeFails) {
      const c = env.k.pci_dma_cleanup(env, r.next, { dev });
      const after = updateDevice(c.ok ? c.next : r.next, dev, { driver: null });
      return errAfter('ENXIO', `${driver}: probe() failed; error path ran dma_cleanup`, after);
    }
    if (DRIVERS[driver].vfio) return ok(addToVfioGroup(r.next, groupOf(env.scenario, dev), 'drivers', 1));
    return ok(r.next);
  },

  /**
   * __device_release_driver (dd.c): the driver's remove() (which unbinds SVA and detaches and
   * frees a private domain), then bus dma_cleanup, then dev->driver = NULL. For a VFIO driver,
   * vfio_unregister_group_dev waits for open device fds (-EBUSY in the model), then
   * vfio_device_remove_group drops vfio_group->drivers and, when it reaches 0, detaches the
   * container.
   */
  device_release_driver(env, s, { dev }) {
    const d = s.devices[dev];
    const drv = driverOf(s, dev);
    if (!d || !drv) return ok(s);
    if (drv.vfio && (d.group_fd !== null || d.iommufd !== null)) {
      return err('EBUSY', 'vfio_unregister_group_dev waits until the device fd is closed');
    }
    let cur = s;
    // A PF driver's remove() disables SR-IOV first (sriov_configure(0) -> pci_disable_sriov).
    if (drv.sriovPf) {
      const r = env.k.pci_disable_sriov(env, cur, { dev });
      if (!r.ok) return r;
      cur = r.next;
    }
    if (d.sva) {
      const r = env.k.iommu_sva_unbind_device(env, cur, { dev });
      if (r.ok) cur = r.next;
    }
    if (d.private_domain) {
      const domain = privateDomain(dev);
      const r =
        drv.privateDomain === 'group'
          ? env.k.iommu_detach_group(env, cur, { group: groupOf(env.scenario, dev), domain })
          : env.k.iommu_detach_device(env, cur, { dev, domain });
      if (r.ok) cur = r.next;
      const f = env.k.iommu_domain_free(env, cur, { domain });
      if (f.ok) cur = f.next;
    }
    const c = env.k.pci_dma_cleanup(env, cur, { dev });
    if (c.ok) cur = c.next;
    cur = updateDevice(cur, dev, { driver: null });
    if (drv.vfio) {
      const group = groupOf(env.scenario, dev);
      cur = addToVfioGroup(cur, group, 'drivers', -1);
      const v = cur.vfio_groups[group]!;
      if (v.drivers === 0 && v.container) {
        const r = env.k.vfio_group_detach_container(env, cur, { group });
        if (r.ok) cur = r.next;
      }
    }
    return ok(cur);
  },

  /**
   * __iommu_probe_device (iommu.c), hot-add: the device joins the group; if group->domain is set
   * the device is attached to it, whatever it is (default, blocking, a user or private domain);
   * a require_direct device joining a blocked group fails with -EINVAL and is not added. An empty
   * group gets its default domain set up. owner and owner_cnt are unchanged; PASID attachments
   * are not replayed.
   */
  iommu_probe_device(env, s, { dev }) {
    const d = s.devices[dev];
    if (!d) return err('ENODEV', 'no such device slot');
    if (d.present) return ok(s);
    const group = groupOf(env.scenario, dev);
    const g = s.groups[group]!;
    if (!g.default_domain) {
      const set = updateGroup(s, group, { default_domain: true, domain: DEFAULT_DOMAIN });
      return ok(withGroupDevice(updateDevice(set, dev, { present: true, hw: DEFAULT_DOMAIN }), group, dev, true));
    }
    // __iommu_device_set_domain (./iommuResv.ts): a require_direct device cannot join a group on
    // the blocking domain (-EINVAL, the device is not added); any other group->domain, a user
    // or private domain included, is joined.
    if (g.domain === null) return ok(withGroupDevice(updateDevice(s, dev, { present: true, hw: null }), group, dev, true));
    const r = env.k.__iommu_device_set_domain(env, s, { dev, domain: g.domain });
    if (!r.ok) return r;
    return ok(withGroupDevice(updateDevice(r.next, dev, { present: true }), group, dev, true));
  },

  /**
   * iommu_release_device -> __iommu_group_remove_device (iommu.c): unlink the device; when the
   * group becomes empty, WARN if owner_cnt != 0 or domain != default_domain, then free the
   * default and blocking domains (group->domain = NULL).
   */
  iommu_release_device(env, s, { dev }) {
    const d = s.devices[dev];
    if (!d?.present) return ok(s);
    if (d.driver) return err('EBUSY', 'a driver is bound: device_del releases it first');
    const group = groupOf(env.scenario, dev);
    let next = withGroupDevice(updateDevice(s, dev, { present: false, hw: null, group_fd: null, iommufd: null }), group, dev, false);
    if (presentDevices(next, group).length === 0) {
      const g = next.groups[group]!;
      if (g.owner_cnt !== 0 || g.domain !== DEFAULT_DOMAIN) {
        next = warnOn(next, '__iommu_group_remove_device: WARN_ON(owner_cnt != 0 || domain != default_domain) on the last device');
      }
      next = updateGroup(next, group, { default_domain: false, blocking_domain: false, domain: null });
    }
    return ok(next);
  },

  /**
   * iommu_sva_bind_device (iommu-sva.c): -ENODEV without a group; max_pasids == 0 -> -ENOSPC
   * (iommu_alloc_mm_data); an existing SVA handle for the same mm is reused (refcount); a PASID
   * used by another domain -> -EBUSY; else iommu_attach_device_pasid. No group-size or ACS check
   * here: the PCI PASID enable is the gate.
   */
  iommu_sva_bind_device(env, s, { dev, mm }) {
    // With PASID values in the scenario, each process's PASID comes from the allocator (iommuSvaPasid.ts).
    if (s.groups[groupOf(env.scenario, dev)]?.iopf) return svaBindWithPasid(env, s, dev, mm ?? 0);
    const d = s.devices[dev];
    if (!d?.present) return err('ENODEV', 'the device has no IOMMU group');
    if (!env.scenario.devices[dev]?.pasid) return err('ENOSPC', 'max_pasids == 0: no PASID can be allocated');
    const existing = s.groups[groupOf(env.scenario, dev)]!.pasid_array.find((e) => e.pasid === SVA_PASID);
    if (existing && existing.domain !== SVA_DOMAIN) return err('EBUSY', `PASID ${SVA_PASID} is used by ${existing.domain}`);
    let cur = s;
    if (!existing) {
      const r = env.k.iommu_attach_device_pasid(env, s, { dev, pasid: SVA_PASID, domain: SVA_DOMAIN });
      if (!r.ok) return r;
      cur = r.next;
    }
    return ok(updateDevice(cur, dev, { sva: true }));
  },

  /** iommu_sva_unbind_device (iommu-sva.c): drop the bond; the last one detaches the PASID. */
  iommu_sva_unbind_device(env, s, { dev }) {
    if (s.groups[groupOf(env.scenario, dev)]?.iopf) return svaUnbindWithPasid(env, s, dev);
    if (!s.devices[dev]?.sva) return ok(s);
    const next = updateDevice(s, dev, { sva: false });
    // The SVA domain stays attached to the group's PASID while another bond in the group holds it.
    if (presentDevices(next, groupOf(env.scenario, dev)).some((i) => next.devices[i]!.sva)) return ok(next);
    return env.k.iommu_detach_device_pasid(env, next, { dev, pasid: SVA_PASID });
  },
};
