import { DRIVERS, isDriverName } from '../kernel/drivers.ts';
import { defineInvariant } from './defineInvariant.ts';
import { productScan, type DeviceScan, type ScanPart, type ScanValue } from './deviceScan.ts';
import type { Scenario } from '../machines/scenario.ts';
import { groupOf, type SystemState } from '../machines/state.ts';
import { scenarioGroups } from '../machines/scenario.ts';
import { inGroup } from './facts.ts';
import { translationReason } from './typeOkTranslation.ts';
import { iopfReason } from './typeOkIopf.ts';

/**
 * The scan's accumulator: the first reason found (or null), then per IOMMU group what its device
 * slots count for the kernel's counters (VFIO drivers bound, cdevs bound to an iommufd, device
 * fds open through the group file), then per (context, group) the devices attached to a hwpt.
 */
type Acc = readonly [string | null, ...number[]];
/** Per-group counters in Acc: three each, from index 1. */
const PER_GROUP = 3;
const at = (g: number, k: 0 | 1 | 2): number => 1 + g * PER_GROUP + k;
const attachedAt = (groups: number, ctx: number, g: number): number => 1 + groups * PER_GROUP + ctx * groups + g;

const count = (acc: Acc, k: number): number => (acc[k] as number | undefined) ?? 0;

function groupReason(s: SystemState, scenario: Scenario): string | null {
  if (s.groups.length !== scenarioGroups(scenario).length || s.vfio_groups.length !== s.groups.length) {
    return `the state has ${s.groups.length} groups and ${s.vfio_groups.length} VFIO groups, the scenario ${scenarioGroups(scenario).length}`;
  }
  for (let gi = 0; gi < s.groups.length; gi++) {
    const g = s.groups[gi]!;
    const where = inGroup(scenario, gi);
    if (!Number.isInteger(g.owner_cnt) || g.owner_cnt < 0) return `owner_cnt${where} is ${g.owner_cnt}`;
    if (g.owner_cnt > s.devices.length) return `owner_cnt${where} is ${g.owner_cnt}, more than the ${s.devices.length} devices could account for`;
    if (g.owner !== null && g.owner_cnt === 0) return `owner${where} is ${g.owner} with owner_cnt 0`;
  }
  // The translation path (issue 15): only states of scenarios with a DMA actor carry it.
  const t = s.groups[0]?.translation !== undefined ? translationReason(s, scenario) : null;
  // PASID values and page requests (issue 15, step 6): only scenarios with `pasids`/`pri`.
  return t ?? (s.groups[0]?.iopf !== undefined ? iopfReason(s, scenario) : null);
}

function deviceReason(s: SystemState, i: number, scenario: Scenario): string | null {
  const d = s.devices[i]!;
  const spec = scenario.devices[i];
  if (!spec) return `device slot ${i} is not in the scenario`;
  if (!d.present && (d.driver || d.hw || d.group_fd !== null || d.iommufd)) return `${spec.name} is absent but still has state`;
  if (d.present !== !!s.groups[groupOf(scenario, i)]?.devices.includes(i)) return `${spec.name} is ${d.present ? 'present but not' : 'absent but'} in group->devices`;
  if (d.driver && !spec.drivers.includes(d.driver)) return `${spec.name} is bound to ${d.driver}, not one of its drivers`;
  return null;
}

/** The kernel's counters against what the device slots count (the model keeps both, as the kernel does). */
function counterReason(s: SystemState, acc: Acc, scenario: Scenario): string | null {
  const G = s.groups.length;
  for (let g = 0; g < G; g++) {
    const v = s.vfio_groups[g]!;
    const where = inGroup(scenario, g);
    const [drivers, cdevs, fds] = [count(acc, at(g, 0)), count(acc, at(g, 1)), count(acc, at(g, 2))];
    if (v.drivers !== drivers) return `vfio_group->drivers${where} is ${v.drivers} but ${drivers} device(s) are bound to a VFIO driver`;
    if (v.cdev_device_open_cnt !== cdevs) return `vfio_group->cdev_device_open_cnt${where} is ${v.cdev_device_open_cnt} but ${cdevs} cdev(s) are bound to an iommufd`;
    const users = (v.container ? 1 : 0) + fds;
    if (v.container_users !== users) {
      return `vfio_group->container_users${where} is ${v.container_users} but the group ${v.container ? 'has a container and' : 'has no container and'} ${fds} device fd(s) are open`;
    }
    // A group file whose opener closed it lives on only through device fds' references.
    if (v.fd_closed && (v.opened_by === null || fds === 0)) return `the VFIO group file${where} waits for a deferred release but ${v.opened_by === null ? 'is not open' : 'no device fd holds it'}`;
    for (let ctx = 0; ctx < scenario.contexts.length; ctx++) {
      const ig = s.iommufd_groups.find((x) => x.ctx === ctx && x.group === g);
      const n = count(acc, attachedAt(G, ctx, g));
      if ((ig?.devices ?? 0) !== n) return `ctx${ctx}'s iommufd group${where} lists ${ig?.devices ?? 0} attached device(s) but ${n} are attached`;
    }
  }
  const stray = s.iommufd_groups.find((x) => x.ctx < 0 || x.ctx >= scenario.contexts.length || x.group < 0 || x.group >= G || x.devices <= 0);
  return stray ? `iommufd group entry ${JSON.stringify(stray)} is not a context's with attached devices` : null;
}

/** What device slot i shows for the counters: a VFIO driver bound, a device fd open, a cdev bound, attached to ctx's hwpt. */
const shows = {
  vfio: (s: SystemState, i: number) => {
    const d = s.devices[i]!;
    return d.present && !!d.driver && isDriverName(d.driver) && DRIVERS[d.driver].vfio;
  },
  fd: (s: SystemState, i: number) => s.devices[i]!.group_fd !== null,
  cdev: (s: SystemState, i: number) => s.devices[i]!.iommufd !== null,
};

/** Per IOMMU group, how many device slots `counts` (a value per group: the groups' counts take few values each). */
const perGroup = (counts: (s: SystemState, i: number) => boolean): ScanPart => ({
  start: (s) => s.groups.map(() => 0),
  device(acc, s, i, scenario) {
    if (!counts(s, i)) return acc;
    const next = (acc as readonly number[]).slice();
    const g = groupOf(scenario, i);
    next[g] = (next[g] ?? 0) + 1;
    return next;
  },
});

/**
 * The scan's parts: the first reason found (or null), then per IOMMU group what its device slots
 * count for the kernel's counters (VFIO drivers bound, cdevs bound to an iommufd, device fds open
 * through the group file), then per context the devices attached to a hwpt, per group. Parts, so
 * that an engine caches each counter apart (./deviceScan.ts productScan).
 */
const scan = productScan(
  [
    {
      start: (s, scenario) => groupReason(s, scenario),
      device: (acc, s, i, scenario) => acc ?? deviceReason(s, i, scenario),
    },
    perGroup(shows.vfio),
    perGroup(shows.cdev),
    perGroup(shows.fd),
    {
      // Per (context, group): the devices attached to a hwpt of the context's.
      start: (s, scenario) => new Array<number>(scenario.contexts.length * s.groups.length).fill(0),
      device(acc, s, i, scenario) {
        const b = s.devices[i]!.iommufd;
        if (!b || b.hwpt === null) return acc;
        const next = (acc as readonly number[]).slice();
        const x = b.ctx * s.groups.length + groupOf(scenario, i);
        next[x] = (next[x] ?? 0) + 1;
        return next;
      },
    },
  ],
  (accs, s, scenario) => (accs[0] as string | null) ?? counterReason(s, counts(accs, s, scenario), scenario),
);

/** The parts' counts in the layout counterReason reads (at / attachedAt). */
function counts(accs: readonly ScanValue[], s: SystemState, scenario: Scenario): Acc {
  const G = s.groups.length;
  const acc: (string | null | number)[] = [null, ...new Array<number>(G * (PER_GROUP + scenario.contexts.length)).fill(0)];
  for (let g = 0; g < G; g++) {
    for (const k of [0, 1, 2] as const) acc[at(g, k)] = (accs[1 + k] as readonly number[])[g] ?? 0;
  }
  const attached = accs[4] as readonly number[];
  for (let ctx = 0; ctx < scenario.contexts.length; ctx++) {
    for (let g = 0; g < G; g++) acc[attachedAt(G, ctx, g)] = attached[ctx * G + g] ?? 0;
  }
  return acc as unknown as Acc;
}

/** TypeOK: the state is well formed (always checked first). */
export const typeOk = defineInvariant({
  id: 'TypeOK',
  name: 'ContextWellFormed',
  description:
    "owner_cnt is a natural number no larger than the device count; absent devices have no driver, domain or fd; drivers are the scenario's; vfio_group->drivers, cdev_device_open_cnt, container_users and each iommufd group's device count equal what the devices show; with DMA actors, each DMA handle is a live PTE of its driver's buffer page and the flush queue holds only unmapped IOVAs of a DMA-FQ domain.",
  kernelRef:
    'struct iommu_group (drivers/iommu/iommu.c): unsigned int owner_cnt; struct vfio_group (drivers/vfio/vfio.h): drivers, cdev_device_open_cnt, container_users; struct iommufd_group (drivers/iommu/iommufd/iommufd_private.h)',
  scan: scan as unknown as DeviceScan<ScanValue>,
});
