/**
 * Fault queues of fault-capable hwpts across a replace (issue 16, Deliver 1): a page request is
 * queued on the fault queue of the hwpt the device's group is on (iommufd_fault_iopf_handler,
 * eventq.c), the user answers it (iommufd_fault_fops_write), and leaving the hwpt answers what its
 * queue holds (iommufd_hwpt_replace_device / iommufd_hwpt_detach_device -> iommufd_auto_response_faults).
 * FAULTQ (FaultQueueOwner) broken by the replace of fb21b1568ada, which passed the new hwpt.
 * Built-in iommufd-fault-replace.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/engine/explore.ts';
import { findInvariant } from '../../../src/invariants/index.ts';
import { buildModel } from '../../../src/machines/model.ts';
import { findVariant } from '../../../src/machines/variants/index.ts';
import { findScenario } from '../../../src/scenarios/builtin.ts';
import { expectErrno, expectOk, model, run } from '../../helpers/model.ts';
import { expectOverridable } from '../../helpers/overridable.ts';

const SCENARIO = 'iommufd-fault-replace';
const VARIANT = 'fault-auto-response-new-hwpt';
const vfioPci = { type: 'really_probe', dev: 0, driver: 'vfio-pci' } as const;
const bind = { type: 'vfio_df_ioctl_bind_iommufd', ctx: 0, dev: 0 } as const;
const attach = (hwpt: number) => ({ type: 'vfio_df_ioctl_attach_pt', ctx: 0, dev: 0, hwpt }) as const;
const detach = { type: 'vfio_df_ioctl_detach_pt', ctx: 0, dev: 0 } as const;
const unbind = { type: 'vfio_df_unbind_iommufd', ctx: 0, dev: 0 } as const;
const pageRequest = { type: 'iommufd_fault_iopf_handler', dev: 0 } as const;
const respond = { type: 'iommufd_fault_fops_write', ctx: 0, dev: 0 } as const;

describe('scenarios without fault-capable hwpts carry no page-request state', () => {
  it('iommufd-hwpt-destroy has no iopf_pending and offers no fault-queue calls; FAULTQ is not judged there', () => {
    const m = model('iommufd-hwpt-destroy');
    expect(m.init.devices[0]).not.toHaveProperty('iopf_pending');
    const s = run(m, [vfioPci, bind, { type: 'iommufd_hwpt_alloc', ctx: 0, hwpt: 0 }, attach(0)]);
    expect(m.events(s).map((e) => e.type).filter((t) => t.startsWith('iommufd_fault'))).toEqual([]);
    expect(findInvariant('FAULTQ')!.notJudged!(findScenario('iommufd-hwpt-destroy')!)).toMatch(/no iommufd context of the scenario has fault-capable hwpts/);
  });
});

describe('iommufd_fault_iopf_handler and iommufd_fault_fops_write (eventq.c)', () => {
  const m = model(SCENARIO);
  const attached = run(m, [vfioPci, bind, attach(0)]);

  it('a page request of an attached device is queued on the fault queue of its group\'s hwpt, and the user answers it', () => {
    expect(attached.devices[0]!.iopf_pending).toBeNull();
    const pending = expectOk(m, attached, pageRequest);
    expect(pending.devices[0]!.iopf_pending).toBe('hwpt:0.0');
    expect(m.events(pending)).toContainEqual(respond);
    expect(expectOk(m, pending, respond).devices[0]!.iopf_pending).toBeNull();
  });

  it('no iommufd handler while the group is not on a fault-capable hwpt; one request at a time; nothing to answer: -EINVAL', () => {
    expectErrno('EOPNOTSUPP', m, run(m, [vfioPci, bind]), pageRequest);
    expectErrno('EBUSY', m, expectOk(m, attached, pageRequest), pageRequest);
    expectErrno('EINVAL', m, attached, respond);
  });
});

describe('leaving a fault-capable hwpt answers its queue (iommufd_auto_response_faults)', () => {
  const m = model(SCENARIO);
  const pending = run(m, [vfioPci, bind, attach(0), pageRequest]);

  it('replace: iommufd_hwpt_replace_device answers the old hwpt\'s request (40e08f99aaab)', () => {
    const after = expectOk(m, pending, attach(1));
    expect(after.groups[0]!.domain).toBe('hwpt:0.1');
    expect(after.devices[0]!.iopf_pending).toBeNull();
  });

  it('detach and unbind: iommufd_hwpt_detach_device answers the detached hwpt\'s request', () => {
    expect(expectOk(m, pending, detach).devices[0]!.iopf_pending).toBeNull();
    expect(expectOk(m, pending, unbind).devices[0]!.iopf_pending).toBeNull();
  });

  it('holds on the built-in: no request stays pending on an hwpt the group left', () => {
    expect(explore(m).violations).toEqual([]);
  });
});

describe('the replace of fb21b1568ada (fault-auto-response-new-hwpt)', () => {
  const m = model(SCENARIO, VARIANT);

  it('scans the new hwpt\'s queue: the old hwpt keeps the request, and FAULTQ breaks on the replace', () => {
    const after = run(m, [vfioPci, bind, attach(0), pageRequest, attach(1)]);
    expect(after.devices[0]!.iopf_pending).toBe('hwpt:0.0');
    expect(findInvariant('FAULTQ')!.check!(after, m.scenario)).toMatch(/^a page request of 01:00\.0 is still pending in the fault queue of hwpt:0\.0, but its group is on hwpt:0\.1/);
    const v = explore(m).violations.find((x) => x.invariant === 'FAULTQ');
    expect(v!.steps.map((s) => s.event.type)).toEqual(['really_probe', 'vfio_df_ioctl_bind_iommufd', 'vfio_df_ioctl_attach_pt', 'iommufd_fault_iopf_handler', 'vfio_df_ioctl_attach_pt']);
  });

  it('runs by default only on the fault-queue scenario, and changes nothing where no hwpt has a fault queue', () => {
    expect(findVariant(VARIANT)!.scenarios).toEqual([SCENARIO]);
    expect(explore(buildModel(findScenario('iommufd-two-contexts')!, findVariant(VARIANT)!)).violations).toEqual([]);
  });
});

describe('every fault-queue call can be overridden by a variant', { timeout: 60_000 }, () => {
  it.each(['iommufd_fault_iopf_handler', 'iommufd_fault_fops_write', 'iommufd_auto_response_faults', 'iommufd_hwpt_replace_device', 'iommufd_hwpt_detach_device'] as const)('%s', (name) => {
    expectOverridable(name, findScenario(SCENARIO)!);
  });
});
