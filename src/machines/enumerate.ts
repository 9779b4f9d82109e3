/**
 * The calls each actor can physically make in a state: a user context only closes fds it holds,
 * the driver core only probes a present device without a driver, a kernel driver only makes the
 * calls its driver makes. Whether the kernel accepts a call is the semantic function's business:
 * calls that fail are enumerated too and show up in coverage with their errno.
 *
 * The list is the concatenation of small blocks (eventBlocks), each reading the global part of
 * the state and at most one device slot (the block's `slot`), so that an engine can cache each
 * block per component. An engine must not trust `slot`: it checks what a block actually read.
 */
import { DRIVERS, isDriverName } from '../kernel/drivers.ts';
import type { IommuEvent } from './events.ts';
import type { Scenario } from './scenario.ts';
import { groupOf, type SystemState } from './state.ts';
import { contextDevices, iovaPagesOf, scenarioGroups } from './scenario.ts';
import { reusablePages } from './dmaActors.ts';
import { translationOf } from './translation.ts';
import type { AtsState } from './ats.ts';
import { translatedPeers } from './atsRoutes.ts';
import { DEFAULT_DOMAIN, userOfDomain } from '../kernel/domains.ts';
import { iopfEvents, svaEvents } from './iopfActors.ts';
import { svaWorkEvents } from './svaWork.ts';
import { RESET_NESTING, resetEvents } from './reset.ts';
import { barActors, barEvents, p2pDmaEvents } from './barAccess.ts';
import { hotResetActors, hotResetEndEvents, hotResetEvents } from './hotReset.ts';
import { msiEvents } from './msiDoorbell.ts';
import { noSnoopEvents } from './coherency.ts';
import { vdeviceBlock } from './vdevice.ts';
import { faultQueueBlock } from './faultQueue.ts';
import { userDmaBlocks } from './userDmaActors.ts';

/** One block of the event list: the calls of one actor on (at most) one device slot. */
export interface EventBlock {
  /** The device slot the block's calls are about, or null for a context's group-wide calls. */
  readonly slot: number | null;
  readonly events: (s: SystemState) => IommuEvent[];
}

const NONE: IommuEvent[] = [];

/** The driver core's, hot-plug's and the bound driver's calls on device `dev`. */
function deviceBlock(scenario: Scenario, dev: number): EventBlock {
  const spec = scenario.devices[dev]!;
  const hasVfs = scenario.devices.some((x) => x.pf === dev);
  // A fixed group-mate (outside the plan) keeps its host driver: no actor touches it.
  if (spec.fixed) return { slot: dev, events: () => NONE };
  const events = (s: SystemState): IommuEvent[] => {
    const d = s.devices[dev];
    if (!d) return NONE;
    const out: IommuEvent[] = [];
    // A DMA-API driver's remove() unmaps its buffers first: no unbind or removal while it holds any.
    const busy = (spec.dma === true && holdsDma(s, groupOf(scenario, dev), dev)) || (d.hot_reset ?? null) !== null; // hot reset: pci_bus_lock holds device_lock
    // A VF comes and goes with its PF's SR-IOV (pci_enable_sriov / pci_disable_sriov), not by hot-plug.
    if (scenario.hotplug && spec.pf === undefined && !busy) out.push({ type: d.present ? 'iommu_release_device' : 'iommu_probe_device', dev });
    if (!d.present) return out;
    if (spec.dma) dmaEvents(scenario, dev, s, out);
    if (spec.pri) iopfEvents(scenario, dev, s, out);
    if ((spec.pasids ?? 0) > 0) svaWorkEvents(scenario, dev, s, out);
    if (d.driver === null) {
      for (const driver of spec.drivers) out.push({ type: 'really_probe', dev, driver });
      return out;
    }
    if (!busy) out.push({ type: 'device_release_driver', dev });
    const drv = isDriverName(d.driver) ? DRIVERS[d.driver] : null;
    if (drv?.privateDomain === 'device') out.push({ type: d.private_domain ? 'iommu_detach_device' : 'iommu_attach_device', dev });
    if (drv?.privateDomain === 'group') out.push({ type: d.private_domain ? 'iommu_detach_group' : 'iommu_attach_group', dev });
    if (drv?.sva) svaEvents(s, groupOf(scenario, dev), dev, out);
    if (drv?.sriovPf && hasVfs) out.push({ type: 'pci_enable_sriov', dev }, { type: 'pci_disable_sriov', dev });
    return out;
  };
  return { slot: dev, events };
}

/** The driver of `dev` holds a DMA handle in group g's default domain or is inside dma_unmap_page. */
function holdsDma(s: SystemState, g: number, dev: number): boolean {
  const t = translationOf(s, g);
  return !!t && (t.pagetable.unmap?.dev === dev || t.handles.some((h) => h.dev === dev));
}

/**
 * A DMA actor's calls (issue 15): its DMA-API driver maps a buffer or unmaps one of its handles
 * (one call at a time: a strict unmap goes on with iommu_iotlb_sync, then iommu_flush_dev_iotlb),
 * and the device issues an untranslated DMA to each IOVA page, whatever its driver.
 */
function dmaEvents(scenario: Scenario, dev: number, s: SystemState, out: IommuEvent[]): void {
  const t = translationOf(s, groupOf(scenario, dev));
  if (!t) return;
  const u = t.pagetable.unmap;
  const d = s.devices[dev]!;
  if (u?.dev === dev) out.push({ type: u.phase === 'pte_cleared' ? 'iommu_iotlb_sync' : 'iommu_flush_dev_iotlb', dev });
  else if (d.driver !== null && isDriverName(d.driver) && !DRIVERS[d.driver].driverManagedDma) {
    out.push({ type: 'dma_map_page', dev });
    if (!u) for (const h of t.handles) if (h.dev === dev) out.push({ type: 'dma_unmap_page', dev, iova: h.iova });
  }
  for (let iova = 0; iova < iovaPagesOf(scenario); iova++) out.push({ type: 'dma_untranslated', dev, iova });
  if (t.ats && scenario.devices[dev]!.ats === true) atsEvents(scenario, dev, s, t.ats, out);
}

/**
 * An ATS-capable DMA actor's ATS calls (issue 15, step 4): the IOMMU driver enables ATS while the
 * RID is on the DMA-API default domain (attach) and may disable it again (detach/release); with
 * ATS on, the device sends a Translation Request per IOVA page and a translated request per ATC
 * entry. An untrusted device is treated as malicious: it sends translated requests to every page
 * of the pool and every peer BAR of the topology, ATS enabled or not.
 */
function atsEvents(scenario: Scenario, dev: number, s: SystemState, ats: AtsState, out: IommuEvent[]): void {
  const on = ats.enabled.includes(dev);
  if (on) out.push({ type: 'pci_disable_ats', dev });
  // The IOMMU driver enables ATS at attach to a paging domain: the default domain, or a user domain where the group has user mappings (step 5).
  else if (s.devices[dev]!.hw === DEFAULT_DOMAIN || (translationOf(s, groupOf(scenario, dev))?.user !== undefined && userOfDomain(s.devices[dev]!.hw) !== null)) out.push({ type: 'pci_enable_ats', dev });
  if (on) for (let iova = 0; iova < iovaPagesOf(scenario); iova++) out.push({ type: 'ats_translation_request', dev, iova });
  for (const e of ats.atc) if (e.dev === dev) out.push({ type: 'ats_translated_request', dev, iova: e.iova });
  if (scenario.devices[dev]!.untrusted !== true) return;
  for (let page = 0; page <= iovaPagesOf(scenario); page++) out.push({ type: 'ats_translated_request', dev, page });
  for (const peer of translatedPeers(scenario, dev)) out.push({ type: 'ats_translated_request', dev, peer });
}

/** The flush-queue timer, the page allocator and (groupTypeWrites) the administrator's sysfs type writes of group g (a group with a DMA actor). */
function translationGroupBlock(g: number, groupTypeWrites: boolean): EventBlock {
  const events = (s: SystemState): IommuEvent[] => {
    const t = translationOf(s, g);
    if (!t) return NONE;
    const out: IommuEvent[] = t.pagetable.fq.length > 0 ? [{ type: 'fq_flush_timeout', group: g }] : [];
    // The administrator's echo DMA-FQ > /sys/kernel/iommu_groups/G/type (Scenario.groupTypeWrites): the live switch of a strict default domain.
    if (groupTypeWrites && t.pagetable.type === 'DMA') out.push({ type: 'iommu_group_store_type', group: g });
    for (const page of reusablePages(s, g)) out.push({ type: 'page_reuse', group: g, page });
    return out;
  };
  return { slot: null, events };
}

/**
 * User context `ctx` on the legacy VFIO path: its container (VFIO_SET_IOMMU), then per IOMMU
 * group the group file and the device fds of the group's devices.
 */
function vfioGroupBlocks(scenario: Scenario, ctx: number): EventBlock[] {
  // The context holds the group fd (after it closed the fd, a deferred release may keep the file open).
  const opened = (s: SystemState, group: number) => s.vfio_groups[group]?.opened_by === ctx && !s.vfio_groups[group]!.fd_closed;
  const anyOpened = (s: SystemState) => s.vfio_groups.some((v) => v.opened_by === ctx);
  const blocks: EventBlock[] = [];
  const mine = contextDevices(scenario, ctx);
  scenarioGroups(scenario).forEach((_, group) => {
    const slots = mine.filter((dev) => groupOf(scenario, dev) === group);
    if (slots.length === 0) return;
    blocks.push(
      { slot: null, events: (s) => (opened(s, group) ? [{ type: 'vfio_group_ioctl_set_container', ctx, group }] : NONE) },
      ...slots.map(
        (dev): EventBlock => ({
          slot: dev,
          events: (s) => {
            const d = s.devices[dev];
            return opened(s, group) && d?.present && d.group_fd !== ctx ? [{ type: 'vfio_group_ioctl_get_device_fd', ctx, dev }] : NONE;
          },
        }),
      ),
      { slot: null, events: (s) => [opened(s, group) ? { type: 'vfio_group_fops_release', ctx, group } : { type: 'vfio_group_fops_open', ctx, group }] },
      // BAR access: not while the context's VFIO_DEVICE_RESET on the fd is in progress (the ioctl holds the file).
      ...slots.map((dev): EventBlock => ({ slot: dev, events: (s) => (s.devices[dev]?.group_fd === ctx && s.devices[dev]?.memory_lock !== true && (s.devices[dev]?.hot_reset ?? null) === null ? [{ type: 'vfio_device_fops_release', ctx, dev }] : NONE) })),
    );
  });
  // VFIO_SET_IOMMU on the container: offered while the context holds some group file open.
  blocks.splice(1, 0, { slot: null, events: (s) => (anyOpened(s) ? [{ type: 'vfio_ioctl_set_iommu', ctx }] : NONE) });
  return blocks;
}

/** User context `ctx` on the VFIO cdev + iommufd path, one block per device. */
function iommufdBlock(ctx: number, hwpts: number, dev: number): EventBlock {
  const events = (s: SystemState): IommuEvent[] => {
    const d = s.devices[dev];
    if (!d || !d.present || !d.driver || !isDriverName(d.driver) || !DRIVERS[d.driver].vfio) return NONE;
    // Closing the iommufd (issue 16): no bind once the context closed its iommufd fd (iommufd_ctx_from_fd: -EBADF).
    if (d.iommufd?.ctx !== ctx) return s.containers[ctx]?.iommufd_open === false ? NONE : [{ type: 'vfio_df_ioctl_bind_iommufd', ctx, dev }];
    const out: IommuEvent[] = [];
    for (let hwpt = 0; hwpt < hwpts; hwpt++) {
      if (d.iommufd.hwpt !== hwpt) out.push({ type: 'vfio_df_ioctl_attach_pt', ctx, dev, hwpt });
    }
    if (d.iommufd.hwpt !== null) out.push({ type: 'vfio_df_ioctl_detach_pt', ctx, dev });
    // BAR access: no close of the cdev while the context's VFIO_DEVICE_RESET on it is in progress.
    if (d.memory_lock !== true && (d.hot_reset ?? null) === null) out.push({ type: 'vfio_df_unbind_iommufd', ctx, dev });
    return out;
  };
  return { slot: dev, events };
}

/**
 * Hwpt lifetimes (issue 16): IOMMU_HWPT_ALLOC of an unallocated hwpt slot, IOMMU_DESTROY of an
 * allocated one, and the close of the iommufd fd, all while the context holds the fd.
 */
function hwptLifetimeBlock(ctx: number, hwpts: number): EventBlock {
  const events = (s: SystemState): IommuEvent[] => {
    if (s.containers[ctx]?.iommufd_open === false) return NONE;
    const allocated = s.containers[ctx]?.hwpt_allocated ?? [];
    const out: IommuEvent[] = [];
    for (let hwpt = 0; hwpt < hwpts; hwpt++) out.push({ type: allocated[hwpt] ? 'iommufd_destroy' : 'iommufd_hwpt_alloc', ctx, hwpt });
    out.push({ type: 'iommufd_fops_release', ctx });
    return out;
  };
  return { slot: null, events };
}

const blocksOf = new WeakMap<Scenario, readonly EventBlock[]>();

/** The blocks whose concatenation, in this order, is enumerateEvents. */
export function eventBlocks(scenario: Scenario): readonly EventBlock[] {
  let blocks = blocksOf.get(scenario);
  if (blocks) return blocks;
  const out: EventBlock[] = scenario.devices.map((_, dev) => deviceBlock(scenario, dev));
  // Staged resets (issue 16): a reset method may begin, or the innermost one end, on a resettable device.
  scenario.devices.forEach((spec, dev) => {
    if (spec.resettable) out.push({ slot: dev, events: (s) => (s.devices[dev]?.present ? withResetEvents(s, dev) : NONE) });
  });
  // Interrupts (issue 16, Deliver 4): a user-controlled `msi` device writes the MSI doorbell (src/machines/msiDoorbell.ts).
  scenario.devices.forEach((spec, dev) => {
    if (spec.msi) out.push({ slot: dev, events: (s) => msiEvents(s, dev) });
  });
  // Cache coherency (issue 16, Deliver 5): a `noSnoop` device on a user domain issues a no-snoop read (src/machines/coherency.ts).
  scenario.devices.forEach((spec, dev) => {
    if (spec.noSnoop) out.push({ slot: dev, events: (s) => noSnoopEvents(scenario, s, dev) });
  });
  scenarioGroups(scenario).forEach((_, g) => {
    if (scenario.devices.some((d, dev) => d.dma === true && groupOf(scenario, dev) === g)) out.push(translationGroupBlock(g, scenario.groupTypeWrites === true));
  });
  scenario.contexts.forEach((c, ctx) => {
    if (c.paths.includes('vfio-group')) out.push(...vfioGroupBlocks(scenario, ctx));
    if (c.paths.includes('iommufd')) out.push(...contextDevices(scenario, ctx).map((dev) => iommufdBlock(ctx, c.hwpts, dev)));
    if (c.paths.includes('iommufd') && c.hwptLifetime) out.push(hwptLifetimeBlock(ctx, c.hwpts));
    // vDEVICEs (issue 16, Deliver 7): IOMMU_VDEVICE_ALLOC steps and the driver's lookups (src/machines/vdevice.ts).
    if (c.paths.includes('iommufd') && c.viommu) out.push(...contextDevices(scenario, ctx).map((dev) => vdeviceBlock(ctx, dev)));
    // Fault queues of fault-capable hwpts (issue 16, Deliver 1): page requests and the user's responses (src/machines/faultQueue.ts).
    if (c.paths.includes('iommufd') && c.faultHwpts) out.push(...contextDevices(scenario, ctx).map((dev) => faultQueueBlock(ctx, dev)));
    out.push(...userDmaBlocks(scenario, ctx));
  });
  // BAR access (issue 16, Deliver 6): a context's BAR calls on each barMmap device it may take (src/machines/barAccess.ts).
  for (const { ctx, dev } of barActors(scenario)) out.push({ slot: dev, events: (s) => barEvents(s, ctx, dev) });
  // DMABUF exports: a peer on the context's hwpt DMAs to the exported BAR (reads the peers' slots too).
  for (const { ctx, dev } of barActors(scenario)) if (scenario.devices[dev]?.barDmabuf) out.push({ slot: null, events: (s) => p2pDmaEvents(s, ctx, dev) });
  // VFIO hot reset (issue 16, Deliver 2): VFIO_DEVICE_PCI_HOT_RESET through each hotReset device's fd; per context, the end of its bus reset.
  for (const { ctx, dev } of hotResetActors(scenario)) out.push({ slot: dev, events: (s) => hotResetEvents(s, ctx, dev) });
  for (const ctx of new Set(hotResetActors(scenario).map((a) => a.ctx))) out.push({ slot: null, events: (s) => hotResetEndEvents(scenario, s, ctx) });
  blocks = out;
  blocksOf.set(scenario, blocks);
  return blocks;
}

/** The reset calls on present device `dev` (src/machines/reset.ts). */
function withResetEvents(s: SystemState, dev: number): IommuEvent[] {
  const out: IommuEvent[] = [];
  const d = s.devices[dev]!;
  // VFIO hot reset: the bus reset holds the device lock (pci_try_reset_function gets -EAGAIN) and ends with pci_bus_restore_locked.
  if ((d.hot_reset ?? null) !== null) return out;
  // BAR access: the outermost reset method of a VFIO_DEVICE_RESET in progress (memory_lock) ends with its pci_dev_restore, not here.
  if (d.memory_lock === true) {
    if ((d.resetting ?? 0) < RESET_NESTING) out.push({ type: 'pci_dev_reset_iommu_prepare', dev });
    if ((d.resetting ?? 0) > 1) out.push({ type: 'pci_dev_reset_iommu_done', dev });
    return out;
  }
  resetEvents(d, dev, out);
  return out;
}

/** Every call an actor can make in `s`, in a fixed order (so traces are deterministic). */
export function enumerateEvents(scenario: Scenario, s: SystemState): IommuEvent[] {
  const out: IommuEvent[] = [];
  for (const block of eventBlocks(scenario)) for (const e of block.events(s)) out.push(e);
  return out;
}
