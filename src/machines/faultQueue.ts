/**
 * Fault queues of fault-capable hwpts (issue 16, Deliver 1): the calls around a `faultHwpts`
 * context's devices, for src/machines/enumerate.ts. The rules are in the rule table
 * (src/machines/semantics/iommufdFault.ts); the replace that must answer the old hwpt's queue is
 * the context's VFIO_DEVICE_ATTACH_IOMMUFD_PT to another hwpt (iommufdBlock).
 *
 * - The device (PRI) and the IOMMU driver's page-request path: a page request of an attached
 *   device with none pending reaches iommufd_fault_iopf_handler.
 * - The user: reads the fault fd and answers (iommufd_fault_fops_write) a request pending in a
 *   fault queue of its own, whether or not the device is still attached.
 */
import type { DomainName } from '../kernel/domains.ts';
import type { EventBlock } from './enumerate.ts';
import type { IommuEvent } from './events.ts';
import { hwptOfDomain } from './semantics/iommufdFault.ts';
import type { SystemState } from './state.ts';

/** Fault queues (issue 16): the per-device field of DeviceState. */
export interface FaultQueueDeviceFields {
  /**
   * The fault-capable hwpt (its domain `hwpt:CTX.H`) whose fault queue holds an unanswered page
   * request (an iopf group) of the device, or null (issue 16, helper E; one at a time). Present only
   * in scenarios with a `faultHwpts` context (src/machines/semantics/iommufdFault.ts).
   */
  readonly iopf_pending?: DomainName | null;
}

const NONE: IommuEvent[] = [];

/** The fault-queue calls of context `ctx` (with fault-capable hwpts) on device slot `dev`. */
export function faultQueueBlock(ctx: number, dev: number): EventBlock {
  const events = (s: SystemState): IommuEvent[] => {
    const d = s.devices[dev];
    if (!d?.present) return NONE;
    const pending = d.iopf_pending ?? null;
    if (pending !== null) return hwptOfDomain(pending)?.ctx === ctx ? [{ type: 'iommufd_fault_fops_write', ctx, dev }] : NONE;
    return d.iommufd?.ctx === ctx && d.iommufd.hwpt !== null ? [{ type: 'iommufd_fault_iopf_handler', dev }] : NONE;
  };
  return { slot: dev, events };
}
