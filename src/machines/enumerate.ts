/**
 * The calls each actor can physically make in a state: a user context only closes fds it holds,
 * the driver core only probes a present device without a driver, a kernel driver only makes the
 * calls its driver makes. Whether the kernel accepts a call is the semantic function's business:
 * calls that fail are enumerated too and show up in coverage with their errno.
 */
import { DRIVERS, isDriverName } from '../kernel/drivers.ts';
import type { IommuEvent } from './events.ts';
import type { Scenario } from './scenario.ts';
import type { SystemState } from './state.ts';

/** Every call an actor can make in `s`, in a fixed order (so traces are deterministic). */
export function enumerateEvents(scenario: Scenario, s: SystemState): IommuEvent[] {
  const out: IommuEvent[] = [];
  scenario.devices.forEach((spec, dev) => {
    const d = s.devices[dev];
    if (!d) return;
    if (scenario.hotplug) out.push({ type: d.present ? 'iommu_release_device' : 'iommu_probe_device', dev });
    if (!d.present) return;
    if (d.driver === null) {
      for (const driver of spec.drivers) out.push({ type: 'really_probe', dev, driver });
      return;
    }
    out.push({ type: 'device_release_driver', dev });
    const drv = isDriverName(d.driver) ? DRIVERS[d.driver] : null;
    if (drv?.privateDomain === 'device') out.push({ type: d.private_domain ? 'iommu_detach_device' : 'iommu_attach_device', dev });
    if (drv?.privateDomain === 'group') out.push({ type: d.private_domain ? 'iommu_detach_group' : 'iommu_attach_group', dev });
    if (drv?.sva) out.push({ type: d.sva ? 'iommu_sva_unbind_device' : 'iommu_sva_bind_device', dev });
  });
  scenario.contexts.forEach((c, ctx) => {
    if (c.paths.includes('vfio-group')) {
      if (s.vfio_group.opened_by === ctx) {
        out.push({ type: 'vfio_group_ioctl_set_container', ctx }, { type: 'vfio_ioctl_set_iommu', ctx });
        s.devices.forEach((d, dev) => {
          if (d.present && d.group_fd !== ctx) out.push({ type: 'vfio_group_ioctl_get_device_fd', ctx, dev });
        });
        out.push({ type: 'vfio_group_fops_release', ctx });
      } else {
        out.push({ type: 'vfio_group_fops_open', ctx });
      }
      s.devices.forEach((d, dev) => {
        if (d.group_fd === ctx) out.push({ type: 'vfio_device_fops_release', ctx, dev });
      });
    }
    if (c.paths.includes('iommufd')) {
      s.devices.forEach((d, dev) => {
        if (!d.present || !d.driver || !isDriverName(d.driver) || !DRIVERS[d.driver].vfio) return;
        if (d.iommufd?.ctx !== ctx) {
          out.push({ type: 'vfio_df_ioctl_bind_iommufd', ctx, dev });
          return;
        }
        for (let hwpt = 0; hwpt < c.hwpts; hwpt++) {
          if (d.iommufd.hwpt !== hwpt) out.push({ type: 'vfio_df_ioctl_attach_pt', ctx, dev, hwpt });
        }
        if (d.iommufd.hwpt !== null) out.push({ type: 'vfio_df_ioctl_detach_pt', ctx, dev });
        out.push({ type: 'vfio_df_unbind_iommufd', ctx, dev });
      });
    }
  });
  return out;
}
