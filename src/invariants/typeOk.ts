import { DRIVERS, isDriverName } from '../kernel/drivers.ts';
import { defineInvariant } from './defineInvariant.ts';
import type { DeviceScan, ScanValue } from './deviceScan.ts';
import type { Scenario } from '../machines/scenario.ts';
import type { SystemState } from '../machines/state.ts';

/**
 * The scan's accumulator: the first reason found (or null), then what the device slots count for
 * the kernel's counters: VFIO drivers bound, cdevs bound to an iommufd, device fds open through
 * the group file, and per context the devices attached to a hwpt.
 */
type Acc = readonly [string | null, number, number, number, ...number[]];
/** Where the per-context counts start in Acc. */
const CTX = 4;

function groupReason(s: SystemState): string | null {
  const g = s.group;
  if (!Number.isInteger(g.owner_cnt) || g.owner_cnt < 0) return `owner_cnt is ${g.owner_cnt}`;
  if (g.owner_cnt > s.devices.length) return `owner_cnt is ${g.owner_cnt}, more than the ${s.devices.length} devices could account for`;
  if (g.owner !== null && g.owner_cnt === 0) return `owner is ${g.owner} with owner_cnt 0`;
  return null;
}

function deviceReason(s: SystemState, i: number, scenario: Scenario): string | null {
  const d = s.devices[i]!;
  const spec = scenario.devices[i];
  if (!spec) return `device slot ${i} is not in the scenario`;
  if (!d.present && (d.driver || d.hw || d.group_fd !== null || d.iommufd)) return `${spec.name} is absent but still has state`;
  if (d.present !== s.group.devices.includes(i)) return `${spec.name} is ${d.present ? 'present but not' : 'absent but'} in group->devices`;
  if (d.driver && !spec.drivers.includes(d.driver)) return `${spec.name} is bound to ${d.driver}, not one of its drivers`;
  return null;
}

/** The kernel's counters against what the device slots count (the model keeps both, as the kernel does). */
function counterReason(s: SystemState, acc: Acc, scenario: Scenario): string | null {
  const v = s.vfio_group;
  if (v.drivers !== acc[1]) return `vfio_group->drivers is ${v.drivers} but ${acc[1]} device(s) are bound to a VFIO driver`;
  if (v.cdev_device_open_cnt !== acc[2]) return `vfio_group->cdev_device_open_cnt is ${v.cdev_device_open_cnt} but ${acc[2]} cdev(s) are bound to an iommufd`;
  const users = (v.container ? 1 : 0) + acc[3];
  if (v.container_users !== users) {
    return `vfio_group->container_users is ${v.container_users} but the group ${v.container ? 'has a container and' : 'has no container and'} ${acc[3]} device fd(s) are open`;
  }
  for (let ctx = 0; ctx < scenario.contexts.length; ctx++) {
    const ig = s.iommufd_groups.find((x) => x.ctx === ctx);
    const n = acc[CTX + ctx] ?? 0;
    if ((ig?.devices ?? 0) !== n) return `ctx${ctx}'s iommufd group lists ${ig?.devices ?? 0} attached device(s) but ${n} are attached`;
  }
  const stray = s.iommufd_groups.find((x) => x.ctx < 0 || x.ctx >= scenario.contexts.length || x.devices <= 0);
  return stray ? `iommufd group entry ${JSON.stringify(stray)} is not a context's with attached devices` : null;
}

const scan: DeviceScan<Acc> = {
  start: (s, scenario) => [groupReason(s), 0, 0, 0, ...scenario.contexts.map(() => 0)] as Acc,
  device(acc, s, i, scenario) {
    if (acc[0] !== null) return acc;
    const reason = deviceReason(s, i, scenario);
    if (reason !== null) return [reason, 0, 0, 0];
    const d = s.devices[i]!;
    const vfio = d.present && !!d.driver && isDriverName(d.driver) && DRIVERS[d.driver].vfio;
    const b = d.iommufd;
    if (!vfio && !b && d.group_fd === null) return acc;
    const next = [...acc] as [string | null, number, number, number, ...number[]];
    if (vfio) next[1]++;
    if (d.group_fd !== null) next[3]++;
    if (b) {
      next[2]++;
      if (b.hwpt !== null) next[CTX + b.ctx] = ((next[CTX + b.ctx] as number | undefined) ?? 0) + 1;
    }
    return next;
  },
  end: (acc, s, scenario) => acc[0] ?? counterReason(s, acc, scenario),
};

/** TypeOK: the state is well formed (always checked first). */
export const typeOk = defineInvariant({
  id: 'TypeOK',
  name: 'ContextWellFormed',
  description:
    "owner_cnt is a natural number no larger than the device count; absent devices have no driver, domain or fd; drivers are the scenario's; vfio_group->drivers, cdev_device_open_cnt, container_users and each iommufd group's device count equal what the devices show.",
  kernelRef:
    'struct iommu_group (drivers/iommu/iommu.c): unsigned int owner_cnt; struct vfio_group (drivers/vfio/vfio.h): drivers, cdev_device_open_cnt, container_users; struct iommufd_group (drivers/iommu/iommufd/iommufd_private.h)',
  scan: scan as unknown as DeviceScan<ScanValue>,
});
