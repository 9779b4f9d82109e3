/**
 * PASID values and page requests of one IOMMU group (issue 15, step 6): the SVA bonds with the
 * process whose PASID each uses, the devices with PRI enabled, and the page requests queued in the
 * devices' iopf queues (drivers/iommu/io-pgfault.c). Kept in GroupState.iopf, present only when
 * the scenario gives some device `pasids` or `pri` (pasidAllocation), so other scenarios carry
 * nothing extra.
 *
 * Simplifications (docs/kernel-notes.md, section 10.3):
 * - The PASID allocator (iommu_alloc_global_pasid, iommu-sva.c: the global IDA, range
 *   [1, max_pasids - 1]) is per group, like the page pool: a PASID is held while it is attached
 *   in the group's pasid_array, and freed with its detach. The kernel frees an SVA PASID with the
 *   mm (mm_pasid_drop); the model lets the process exit right after its last unbind.
 * - SVA_PROCESSES processes may open a device (an accelerator's work queue) and have its driver
 *   bind their address space; each device holds one bond at a time (DeviceState.sva). A process
 *   exits with its last unbind in the group (`exited`) and never binds again, so every later
 *   binding of a PASID value belongs to another process: "a new owner".
 * - A page request is `stale` once the binding it was issued under has ended: its PASID was
 *   detached (or given another domain) while the request was still queued.
 */
import { SVA_DOMAIN } from '../kernel/domains.ts';
import type { DomainName } from '../kernel/domains.ts';
import type { Scenario } from './scenario.ts';
import { updateGroup, type SystemState } from './state.ts';
import type { SvaWork } from './svaWork.ts';

/** How many processes may bind SVA on a device in a scenario with PASID values: enough for "a new owner". */
export const SVA_PROCESSES = 2;

/** The SVA domain of process `mm` (its address space, shared with the IOMMU by iommu_sva_bind_device). */
export const svaDomainOf = (mm: number): DomainName => `${SVA_DOMAIN}:${mm}`;

/** The process of an SVA domain `sva:M`, or null. */
export function mmOfDomain(domain: DomainName): number | null {
  const m = /^sva:(\d+)$/.exec(domain);
  return m ? Number(m[1]) : null;
}

/** One SVA bond: the driver of `dev` bound process `mm`'s address space (struct iommu_sva, a handle of the mm's domain). */
export interface SvaBond {
  readonly dev: number;
  readonly mm: number;
}

/** A page request (PRI Page Request Message) in dev's iopf queue, not yet answered. */
export interface PageRequest {
  readonly dev: number;
  readonly pasid: number;
  /** The binding it was issued under has ended while it was queued (its PASID detached or given another domain). */
  readonly stale: boolean;
}

/** One group's PASID and page-request state. */
export interface GroupIopf {
  /** The SVA bonds of the group's devices, sorted by dev. */
  readonly bonds: readonly SvaBond[];
  /** pci_dev->pri_enabled: the devices whose PRI is enabled (pci_enable_pri), ascending. */
  readonly pri: readonly number[];
  /** Queued page requests, at most one per (dev, PASID), sorted by (dev, pasid). */
  readonly prq: readonly PageRequest[];
  /** The processes that have exited (their last bond in the group ended; their PASID freed), ascending. */
  readonly exited: readonly number[];
  /** Work in flight per device, which it executes by PASID-tagged DMA until the driver drains it (src/machines/svaWork.ts); absent while none. */
  readonly work?: readonly SvaWork[];
}

export const EMPTY_IOPF: GroupIopf = Object.freeze({ bonds: [], pri: [], prq: [], exited: [] });

/** PASID values device `dev` may use: `pasids`, else 1 for a PASID capability, else 0 (max_pasids - 1). */
export function maxPasidOf(scenario: Scenario, dev: number): number {
  const d = scenario.devices[dev];
  return d?.pasids ?? (d?.pasid ? 1 : 0);
}

/** Group g's PASID state (undefined: the scenario has no PASID values). */
export const iopfOf = (s: SystemState, g: number): GroupIopf | undefined => s.groups[g]?.iopf;

/** `s` with group g's PASID state replaced. */
export const withIopf = (s: SystemState, g: number, iopf: GroupIopf): SystemState => updateGroup(s, g, { iopf });

/** The PASID process `mm` holds in group g (its SVA domain's pasid_array entry), or null. */
export function pasidOfMm(s: SystemState, g: number, mm: number): number | null {
  const domain = svaDomainOf(mm);
  return s.groups[g]?.pasid_array.find((e) => e.domain === domain)?.pasid ?? null;
}

/** iommu_alloc_global_pasid in the model: the lowest PASID in [1, max] not attached in group g, or -1 (-ENOSPC). */
export function lowestFreePasid(s: SystemState, g: number, max: number): number {
  const used = s.groups[g]?.pasid_array ?? [];
  for (let p = 1; p <= max; p++) if (!used.some((e) => e.pasid === p)) return p;
  return -1;
}

/** The device's bond, or undefined. */
export const bondOf = (iopf: GroupIopf, dev: number): SvaBond | undefined => iopf.bonds.find((b) => b.dev === dev);

/** The PASID dev's own bond uses (the PASID its page requests carry), or null. */
export function boundPasid(s: SystemState, g: number, dev: number): number | null {
  const iopf = iopfOf(s, g);
  const b = iopf ? bondOf(iopf, dev) : undefined;
  return b ? pasidOfMm(s, g, b.mm) : null;
}

/** The device queues a page request for `pasid` (hardware: PRI Page Request Message, the IOMMU's PRQ). */
export function pageRequest(s: SystemState, g: number, dev: number, pasid: number): SystemState {
  const iopf = iopfOf(s, g);
  if (!iopf || iopf.prq.some((e) => e.dev === dev && e.pasid === pasid)) return s;
  const prq = [...iopf.prq, { dev, pasid, stale: false }].sort((a, b) => a.dev - b.dev || a.pasid - b.pasid);
  return withIopf(s, g, { ...iopf, prq });
}

/**
 * After a call: every queued page request whose PASID the call detached or gave another domain
 * is marked stale (its binding ended). Run on every event of a scenario with PASID values
 * (events.ts), so that no rule, current or overridden, has to remember it.
 */
export function markEndedBindings(prev: SystemState, next: SystemState): SystemState {
  let cur = next;
  next.groups.forEach((g, gi) => {
    const iopf = g.iopf;
    const before = prev.groups[gi]?.pasid_array;
    if (!iopf || iopf.prq.length === 0 || !before || before === g.pasid_array) return;
    const ended = (pasid: number) => {
      const was = before.find((e) => e.pasid === pasid)?.domain;
      return was !== undefined && g.pasid_array.find((e) => e.pasid === pasid)?.domain !== was;
    };
    if (!iopf.prq.some((e) => !e.stale && ended(e.pasid))) return;
    cur = withIopf(cur, gi, { ...iopf, prq: iopf.prq.map((e) => (!e.stale && ended(e.pasid) ? { ...e, stale: true } : e)) });
  });
  return cur;
}
