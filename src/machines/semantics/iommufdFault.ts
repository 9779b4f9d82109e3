/**
 * Fault queues of fault-capable hwpts across a replace (issue 16, Deliver 1, the fault-queue part):
 * drivers/iommu/iommufd/eventq.c (iommufd_fault_iopf_handler, iommufd_fault_fops_write,
 * iommufd_auto_response_faults) and drivers/iommu/iommufd/device.c (iommufd_hwpt_replace_device,
 * iommufd_hwpt_detach_device), for contexts with ContextSpec.faultHwpts (the state is
 * DeviceState.iopf_pending; docs/kernel-notes.md, section "Fault queues across a replace").
 *
 * Kernel facts (raspberrypi/linux eventq.c @ 04a177f91160, fault.c @ 415cd5ab28f8, and the fix's
 * patch text, all read [V]): a page request of a device reaches the iopf handler of the domain its
 * group's attach handle is on; iommufd_fault_iopf_handler queues the iopf group on that hwpt's
 * fault->deliver list (`hwpt = group->attach_handle->domain->iommufd_hwpt`); the user reads it and
 * answers it by its cookie (iommufd_fault_fops_write: xa_erase, iopf_group_response). When the
 * attach handle goes away, iommufd_auto_response_faults(hwpt, handle) answers
 * IOMMU_PAGE_RESP_INVALID to every iopf group of `hwpt->fault` with that handle (it returns at
 * once when the hwpt has no fault). Detach: iommufd_hwpt_detach_device calls it with the detached
 * hwpt. Replace: iommufd_hwpt_replace_device calls it after iommu_replace_group_handle with
 * `old_handle`; fb21b1568ada ("iommufd: Make attach_handle generic than fault specific") passed
 * the new `hwpt`, which scans the wrong queue and leaves the old hwpt's groups of the device
 * pending, their handle freed; 40e08f99aaab ("iommufd: Fix wrong hwpt passed to
 * iommufd_auto_response_faults on replace", Peiyang He, July 2026; the linux-7.1.y hash, jgg/iommufd
 * for-rc ba5c0f28a26e) passes `old`.
 *
 * Simplifications: at most one page request per device is pending; reading the fault fd and
 * writing the response are one call; iopf enablement (iommufd_fault_iopf_enable, the VF + PRI
 * refusal) and the iopf group's ownership (2c1f462d277b) are not modelled; a group's attach handle
 * is named by the group's domain, so a request is answered for every device of the group at once.
 */
import { hwptDomain } from '../../kernel/domains.ts';
import { err, ok } from '../../kernel/errno.ts';
import { groupOf, presentDevices, updateDevice, type SystemState } from '../state.ts';
import type { Env, Kernel } from './kernel.ts';

type FaultFns = Pick<
  Kernel,
  'iommufd_fault_iopf_handler' | 'iommufd_fault_fops_write' | 'iommufd_auto_response_faults' | 'iommufd_hwpt_replace_device' | 'iommufd_hwpt_detach_device'
>;

/** Hwpt `hwpt` of context `ctx` has a fault object (hwpt->fault): every hwpt of a `faultHwpts` context. */
export const hwptHasFault = (env: Env, ctx: number): boolean => env.scenario.contexts[ctx]?.faultHwpts === true;

/** The context and hwpt of a domain name `hwpt:CTX.H`, or null. */
export function hwptOfDomain(domain: string | null | undefined): { ctx: number; hwpt: number } | null {
  const m = domain ? /^hwpt:(\d+)\.(\d+)$/.exec(domain) : null;
  return m ? { ctx: Number(m[1]), hwpt: Number(m[2]) } : null;
}

export const iommufdFault: FaultFns = {
  /**
   * The device's page request, through the IOMMU driver's page-request queue and
   * iommu_report_device_fault, reaches iommufd_fault_iopf_handler (eventq.c) of the domain its
   * group is attached to: the iopf group is queued on that hwpt's fault->deliver. Without a
   * fault-capable hwpt there is no iommufd handler (the core answers it: nothing stays pending).
   */
  iommufd_fault_iopf_handler(env, s, { dev }) {
    const d = s.devices[dev];
    if (!d?.present) return err('ENODEV', 'the device is not present');
    if ((d.iopf_pending ?? null) !== null) return err('EBUSY', 'a page request of the device is pending already (one at a time in the model)');
    const domain = s.groups[groupOf(env.scenario, dev)]?.domain ?? null;
    const h = hwptOfDomain(domain);
    if (!h || !hwptHasFault(env, h.ctx)) return err('EOPNOTSUPP', 'the group is not on a fault-capable hwpt: no iommufd iopf handler');
    return ok(updateDevice(s, dev, { iopf_pending: domain }));
  },

  /**
   * The user reads the iopf group from the hwpt's fault fd and writes the response
   * (iommufd_fault_fops_write, eventq.c: xa_erase(&fault->response, cookie), iopf_group_response):
   * -EINVAL for a cookie that is not in the response xarray (nothing of the device pending there).
   */
  iommufd_fault_fops_write(_env, s, { ctx, dev }) {
    const pending = s.devices[dev]?.iopf_pending ?? null;
    if (hwptOfDomain(pending)?.ctx !== ctx) return err('EINVAL', 'no page request of the device is pending in a fault queue of this context');
    return ok(updateDevice(s, dev, { iopf_pending: null }));
  },

  /**
   * iommufd_auto_response_faults(hwpt, handle) (eventq.c): `if (!fault || !handle) return;`, then
   * every iopf group on hwpt->fault's deliver list and response xarray whose attach_handle is
   * `handle` -- the group's attachment -- gets IOMMU_PAGE_RESP_INVALID and is freed.
   */
  iommufd_auto_response_faults(env, s, { ctx, group, hwpt }) {
    if (!hwptHasFault(env, ctx)) return ok(s);
    const domain = hwptDomain(ctx, hwpt);
    let cur = s;
    for (const i of presentDevices(s, group)) if (s.devices[i]?.iopf_pending === domain) cur = updateDevice(cur, i, { iopf_pending: null });
    return ok(cur);
  },

  /**
   * iommufd_hwpt_replace_device (device.c): iommu_replace_group_handle(group, hwpt->domain,
   * handle); on success iommufd_auto_response_faults(old, old_handle) (40e08f99aaab) answers what
   * the old hwpt's fault queue still holds for the group.
   */
  iommufd_hwpt_replace_device(env, s, { ctx, group, hwpt, old }) {
    const r = env.k.iommu_replace_group_handle(env, s, { group, domain: hwptDomain(ctx, hwpt) });
    if (!r.ok || !hwptHasFault(env, ctx)) return r;
    return env.k.iommufd_auto_response_faults(env, r.next, { ctx, group, hwpt: old });
  },

  /**
   * iommufd_hwpt_detach_device (device.c): iommu_detach_group_handle, then
   * iommufd_auto_response_faults(hwpt, handle) for the detached hwpt.
   */
  iommufd_hwpt_detach_device(env, s, { ctx, group, hwpt }) {
    const r = env.k.iommu_detach_group_handle(env, s, { group, domain: hwptDomain(ctx, hwpt) });
    if (!r.ok || !hwptHasFault(env, ctx)) return r;
    return env.k.iommufd_auto_response_faults(env, r.next, { ctx, group, hwpt });
  },
};

/** The pre-fix replace (fb21b1568ada .. 40e08f99aaab): the auto-response scans the new hwpt's queue. */
export const replaceAutoRespondsNewHwpt: Kernel['iommufd_hwpt_replace_device'] = (env, s, { ctx, group, hwpt }) => {
  const r = env.k.iommu_replace_group_handle(env, s, { group, domain: hwptDomain(ctx, hwpt) });
  if (!r.ok || !hwptHasFault(env, ctx)) return r;
  return env.k.iommufd_auto_response_faults(env, r.next, { ctx, group, hwpt });
};

/** The domain (`hwpt:CTX.H`) whose fault queue holds device slot `dev`'s page request, or null. */
export const pendingOf = (s: SystemState, dev: number): string | null => s.devices[dev]?.iopf_pending ?? null;
