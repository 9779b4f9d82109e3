/** Kernel-call rendering of an event with the scenario's device and context names. */
import { actorOf, eventArgs, type IommuEvent } from '../machines/events.ts';
import { namesGroups, scenarioGroups, type Scenario } from '../machines/scenario.ts';

/** `vfio_df_ioctl_bind_iommufd(qemu, 01:00.0)`; a group argument shows only when the scenario has several groups. */
export function formatCall(e: IommuEvent, scenario: Scenario): string {
  const args = eventArgs(e).map(([k, v]) => {
    if (k === 'dev') return `${scenario.devices[v as number]?.name ?? v}`;
    if (k === 'ctx') return `${scenario.contexts[v as number]?.name ?? `ctx${v}`}`;
    if (k === 'group') return namesGroups(scenario) ? `group ${scenarioGroups(scenario)[v as number]?.name ?? v}` : null;
    return `${k}=${v}`;
  });
  // The sysfs write shows what was written: echo DMA-FQ > /sys/kernel/iommu_groups/G/type.
  if (e.type === 'iommu_group_store_type') args.push('"DMA-FQ"');
  return `${e.type}(${args.filter((a) => a !== null).join(', ')})`;
}

/** The actor's display name: `driver core`, `hotplug`, `e1000e@01:00.0`, or the context's name. */
export function actorName(e: IommuEvent, scenario: Scenario, driver?: string | null): string {
  const a = actorOf(e);
  if (a === 'driver_core') return 'driver core';
  if (a === 'hotplug') return 'hotplug';
  // The actors that are not a device's driver: the flush-queue timer, the page allocator, the
  // device's DMA, the IOMMU driver (ATS and PRI enables), the iopf workqueue, a PCI reset.
  if (a === 'fq_timer') return 'flush-queue timer';
  if (a === 'page_allocator') return 'page allocator';
  if (a === 'admin') return 'administrator';
  if (a === 'iommu_driver') return 'IOMMU driver';
  if (a === 'iopf_queue') return 'iopf queue';
  if (a.startsWith('device')) return `device ${scenario.devices[Number(a.slice(6))]?.name ?? a}`;
  // The SVA process that submits work to the device (ENQCMD to its portal), not the device's driver.
  if (a.startsWith('process')) return `process on ${scenario.devices[Number(a.slice(7))]?.name ?? a}`;
  if (a.startsWith('pci_reset')) return `PCI reset of ${scenario.devices[Number(a.slice(9))]?.name ?? a}`;
  if (a.startsWith('ctx')) return scenario.contexts[Number(a.slice(3))]?.name ?? a;
  const dev = 'dev' in e ? scenario.devices[e.dev]?.name : '?';
  return `${driver ?? 'driver'}@${dev}`;
}
