/**
 * PASID-tagged DMA of an SVA device (issue 15, Deliver 3 and 5), for scenarios with PASID values
 * (src/machines/iopf.ts): the work a process submitted to the device (an accelerator's work queue,
 * e.g. an idxd descriptor written to the portal with ENQCMD), which the device executes by DMA
 * tagged with the PASID of the process's bond, and the IOMMU's resolution of that DMA through the
 * group's pasid_array (the domain attached to the PASID now, or a fault when none is).
 *
 * Kernel facts (docs/kernel-notes.md section 10.6): iommu_sva_unbind_device's caller must have
 * stopped the device's DMA and page requests for the PASID (idxd_cdev_release drains the PASID's
 * work with idxd_device_drain_pasid before it unbinds); the IOMMU driver then tears the PASID entry
 * down (intel_pasid_tear_down_entry), so a later DMA with the PASID faults until the PASID is
 * allocated again, and then it reaches the new owner's address space.
 *
 * Simplifications: at most one piece of work in flight per device (GroupIopf.work, absent while
 * empty, so states without work keep their shape); the DMA changes no state (the device may DMA
 * again until the work is drained); a work item records the process it was submitted for.
 */
import type { IommuEvent } from './events.ts';
import { boundPasid, bondOf, iopfOf, withIopf, type GroupIopf } from './iopf.ts';
import type { Scenario } from './scenario.ts';
import { groupOf, type SystemState } from './state.ts';

/** Work in flight on `dev`: submitted for process `mm`, executed by DMA tagged with `pasid`. */
export interface SvaWork {
  readonly dev: number;
  readonly pasid: number;
  readonly mm: number;
}

/** The work in flight in a group's PASID state (none when the field is absent). */
export const workOf = (iopf: GroupIopf | undefined): readonly SvaWork[] => iopf?.work ?? [];

/** `iopf` with its work list replaced (the field dropped when empty). */
function withWork(iopf: GroupIopf, work: readonly SvaWork[]): GroupIopf {
  const { work: _old, ...rest } = iopf;
  return work.length === 0 ? rest : { ...rest, work: [...work].sort((a, b) => a.dev - b.dev) };
}

/** The process submits work to dev's work queue under the PASID of its bond (no-op without a bond or with work in flight). */
export function submitWork(s: SystemState, g: number, dev: number): SystemState {
  const iopf = iopfOf(s, g);
  const bond = iopf ? bondOf(iopf, dev) : undefined;
  const pasid = boundPasid(s, g, dev);
  if (!iopf || !bond || pasid === null || workOf(iopf).some((w) => w.dev === dev)) return s;
  return withIopf(s, g, withWork(iopf, [...workOf(iopf), { dev, pasid, mm: bond.mm }]));
}

/** The driver's drain of dev's work for `pasid`: the work leaves the device (it completed or was aborted). */
export function drainWork(s: SystemState, g: number, dev: number, pasid: number): SystemState {
  const iopf = iopfOf(s, g);
  const work = workOf(iopf);
  if (!iopf || !work.some((w) => w.dev === dev && w.pasid === pasid)) return s;
  return withIopf(s, g, withWork(iopf, work.filter((w) => w.dev !== dev || w.pasid !== pasid)));
}

/** Where the IOMMU sends dev's DMA tagged with `pasid`: the domain attached to the PASID in the group's pasid_array, or null (the PASID entry is not present: a fault). */
export function resolvePasidDma(s: SystemState, g: number, pasid: number): string | null {
  return s.groups[g]?.pasid_array.find((e) => e.pasid === pasid)?.domain ?? null;
}

/**
 * The device's work and its DMA, for src/machines/enumerate.ts (a present device with `pasids`):
 * with a bond and no work in flight, the process submits work (`sva_submit_work`); with work in
 * flight, the device's PASID-tagged DMA for it (`dma_pasid`), whether or not a driver is still bound.
 */
export function svaWorkEvents(scenario: Scenario, dev: number, s: SystemState, out: IommuEvent[]): void {
  const g = groupOf(scenario, dev);
  const iopf = iopfOf(s, g);
  if (!iopf) return;
  const w = workOf(iopf).find((x) => x.dev === dev);
  if (w) out.push({ type: 'dma_pasid', dev, pasid: w.pasid });
  else if (bondOf(iopf, dev) && boundPasid(s, g, dev) !== null) out.push({ type: 'sva_submit_work', dev });
}
