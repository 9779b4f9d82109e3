/**
 * PASID values and PRI (issue 15, step 6): the PASID allocator behind iommu_sva_bind_device,
 * pci_enable_pri (drivers/pci/ats.c), page requests queued per (device, PASID), the iopf
 * workqueue's iommu_page_response (drivers/iommu/io-pgfault.c), and the drain in the PASID's
 * detach (intel_drain_pasid_prq -> iopf_queue_flush_dev). Built-in sva-pasid-reuse.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/engine/explore.ts';
import type { IommuEvent } from '../../../src/machines/events.ts';
import { iopfOf } from '../../../src/machines/iopf.ts';
import { buildModel } from '../../../src/machines/model.ts';
import { findScenario } from '../../../src/scenarios/builtin.ts';
import { pasidReuse } from '../../../src/invariants/pasidReuse.ts';
import { expectErrno, expectOk, model, run } from '../../helpers/model.ts';
import { expectOverridable } from '../../helpers/overridable.ts';
import { unbindWithoutDrain } from '../../helpers/pasidVariants.ts';

const idxd = { type: 'really_probe', dev: 0, driver: 'idxd' } as const;
const enablePri = { type: 'pci_enable_pri', dev: 0 } as const;
const bind0 = { type: 'iommu_sva_bind_device', dev: 0, mm: 0 } as const;
const bind1 = { type: 'iommu_sva_bind_device', dev: 0, mm: 1 } as const;
const unbind = { type: 'iommu_sva_unbind_device', dev: 0 } as const;
const request = { type: 'page_request', dev: 0, pasid: 1 } as const;
const response = { type: 'iommu_page_response', dev: 0, pasid: 1 } as const;

const steps = (v: { steps: readonly { event: IommuEvent }[] }) => v.steps.map((x) => x.event);

describe('scenarios without PASID values carry no PASID state', () => {
  it('sva-acs-switch keeps the one-process SVA model: no `iopf`, the fixed PASID and the `sva` domain', () => {
    const m = model('sva-acs-switch');
    expect(m.init.groups[0]).not.toHaveProperty('iopf');
    const s = run(m, [idxd, { type: 'iommu_sva_bind_device', dev: 0 }]);
    expect(s.groups[0]!.pasid_array).toEqual([{ pasid: 1, domain: 'sva' }]);
    expect(m.events(s).map((e) => e.type).filter((t) => t.includes('page') || t.includes('pri'))).toEqual([]);
  });
});

describe('iommu_sva_bind_device takes the process\'s PASID from the allocator', () => {
  const m = model('sva-pasid-reuse');

  it('each process may bind; the first gets the lowest free PASID, attached to its own SVA domain', () => {
    const s = run(m, [idxd]);
    expect(m.events(s)).toEqual(expect.arrayContaining([bind0, bind1]));
    const bound = run(m, [bind1], s);
    expect(bound.groups[0]!.pasid_array).toEqual([{ pasid: 1, domain: 'sva:1' }]);
    expect(iopfOf(bound, 0)!.bonds).toEqual([{ dev: 0, mm: 1 }]);
    expect(bound.devices[0]!.sva).toBe(true);
  });

  it('the unbind frees the PASID with the process (mm_pasid_drop folded in): the next process gets the same value', () => {
    const s = run(m, [idxd, bind0, unbind]);
    expect(s.groups[0]!.pasid_array).toEqual([]);
    expect(iopfOf(s, 0)!.exited).toEqual([0]);
    expect(m.events(s)).not.toContainEqual(bind0);
    expect(run(m, [bind1], s).groups[0]!.pasid_array).toEqual([{ pasid: 1, domain: 'sva:1' }]);
  });
});

describe('pci_enable_pri (drivers/pci/ats.c)', () => {
  const m = model('sva-pasid-reuse');

  it('enables PRI on a device with the capability; no page request before it', () => {
    const s = run(m, [idxd, bind0]);
    expect(m.events(s)).not.toContainEqual(request);
    const on = expectOk(m, s, enablePri);
    expect(iopfOf(on, 0)!.pri).toEqual([0]);
    expect(m.events(on)).toContainEqual(request);
    expect(m.events(on)).not.toContainEqual(enablePri);
  });

  it('WARN_ON(pri_enabled) -> -EBUSY on a second enable', () => {
    const r = expectErrno('EBUSY', m, run(m, [enablePri]), enablePri);
    expect(r.ok ? null : r.after?.warn).toContain('pci_enable_pri');
  });

  it('no PRI capability -> -EINVAL', () => {
    const noPri = { ...findScenario('sva-pasid-reuse')!, devices: [{ ...findScenario('sva-pasid-reuse')!.devices[0]!, pri: false }] };
    const mm = buildModel(noPri, m.variant);
    expectErrno('EINVAL', mm, mm.init, enablePri);
  });
});

describe('page requests and the drain when a PASID is unbound', () => {
  const m = model('sva-pasid-reuse');

  it('a page request is queued once per (device, PASID) and the iopf workqueue answers it', () => {
    const s = run(m, [enablePri, idxd, bind0, request]);
    expect(iopfOf(s, 0)!.prq).toEqual([{ dev: 0, pasid: 1, stale: false }]);
    expect(m.events(s)).not.toContainEqual(request);
    expect(m.events(s)).toContainEqual(response);
    expect(iopfOf(expectOk(m, s, response), 0)!.prq).toEqual([]);
  });

  it('kernel rule: iommu_sva_unbind_device drains the PASID\'s page requests (intel_drain_pasid_prq -> iopf_queue_flush_dev) before the PASID is freed', () => {
    const s = run(m, [enablePri, idxd, bind0, request, unbind]);
    expect(iopfOf(s, 0)!.prq).toEqual([]);
    expect(s.groups[0]!.pasid_array).toEqual([]);
  });

  it('the driver\'s remove() unbinds SVA, so unbinding idxd drains as well', () => {
    const s = run(m, [enablePri, idxd, bind0, request, { type: 'device_release_driver', dev: 0 }]);
    expect(iopfOf(s, 0)!.prq).toEqual([]);
  });

  it('sva-pasid-reuse holds: PASID-REUSE and every other invariant', () => {
    expect(explore(m).violations).toEqual([]);
  });
});

describe('PASID-REUSE breaks when the unbind does not drain page requests', () => {
  it('a request queued under process 0\'s binding is handled in process 1\'s address space after the PASID is reallocated', () => {
    const r = explore(buildModel(findScenario('sva-pasid-reuse')!, unbindWithoutDrain));
    expect(r.violations.map((v) => v.invariant)).toEqual(['PASID-REUSE']);
    const v = r.violations[0]!;
    expect(steps(v)).toEqual([enablePri, idxd, bind0, request, unbind, bind1, response]);
    expect(v.reason).toContain("03:00.0's page request for PASID 1, queued under a binding that has since been unbound, is handled in sva:1 (process 1's address space)");
  });

  it('the stale request answered while nothing is attached to the PASID (IOMMU_PAGE_RESP_INVALID) is no violation', () => {
    const m = buildModel(findScenario('sva-pasid-reuse')!, unbindWithoutDrain);
    const s = run(m, [enablePri, idxd, bind0, request, unbind]);
    expect(iopfOf(s, 0)!.prq).toEqual([{ dev: 0, pasid: 1, stale: true }]);
    const next = expectOk(m, s, response);
    expect(pasidReuse.step!(s, response, next, m.scenario)).toBeNull();
  });
});

describe('TypeOK on the PASID state', () => {
  it('a bond whose process has no PASID attached, or a request queued without PRI, is a TypeOK reason', async () => {
    const { typeOk } = await import('../../../src/invariants/typeOk.ts');
    const m = model('sva-pasid-reuse');
    const s = run(m, [enablePri, idxd, bind0, request]);
    expect(typeOk.check!(s, m.scenario)).toBeNull();
    const noPasid = { ...s, groups: [{ ...s.groups[0]!, pasid_array: [] }] };
    expect(typeOk.check!(noPasid, m.scenario)).toBe("process 0's SVA bond has no PASID attached to sva:0");
    const noPri = { ...s, groups: [{ ...s.groups[0]!, iopf: { ...iopfOf(s, 0)!, pri: [] } }] };
    expect(typeOk.check!(noPri, m.scenario)).toBe('a page request of device 0 is queued without PRI enabled');
  });
});

describe('every new PASID/PRI call of the rule table can be overridden by a variant', () => {
  const calls = ['pci_enable_pri', 'iommu_page_response', 'iopf_queue_flush_dev', 'intel_drain_pasid_prq'] as const;

  it.each(calls)('%s: an override that records a WARN_ON is reached on sva-pasid-reuse and changes the verdict', (name) => {
    expectOverridable(name, findScenario('sva-pasid-reuse')!);
  });
});
