/**
 * Cache coherency on user domains (issue 16, Deliver 5): iommufd_hwpt_paging_enforce_cc at the
 * hwpt's allocation (drivers/iommu/iommufd/hw_pagetable.c, v6.7 on), the domain op
 * enforce_cache_coherency and the snoop clause of paging_domain_compatible
 * (drivers/iommu/intel/iommu.c), the device's no-snoop read (dma_no_snoop) and SNOOP
 * (CoherencyEnforced). Built-in coherency-no-snoop: 03:00.0 (slot 0, its own group) behind an
 * IOMMU with snoop control, 04:00.0 (slot 1, its own group) behind one without; on the iommufd
 * path there and on the VFIO container in coherency-no-snoop-type1.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/engine/explore.ts';
import { coherencyEnforced } from '../../../src/invariants/coherencyEnforced.ts';
import { buildModel } from '../../../src/machines/model.ts';
import { currentKernel } from '../../../src/machines/semantics/index.ts';
import { findVariant } from '../../../src/machines/variants/index.ts';
import { findScenario } from '../../../src/scenarios/builtin.ts';
import { expectErrno, expectOk, model, run } from '../../helpers/model.ts';
import { expectOverridable } from '../../helpers/overridable.ts';

const vfioPci = (dev: number) => ({ type: 'really_probe', dev, driver: 'vfio-pci' }) as const;
const bind = (dev: number) => ({ type: 'vfio_df_ioctl_bind_iommufd', ctx: 0, dev }) as const;
const attach = (dev: number, hwpt = 0) => ({ type: 'vfio_df_ioctl_attach_pt', ctx: 0, dev, hwpt }) as const;
const read = (dev: number) => ({ type: 'dma_no_snoop', dev }) as const;
const BOUND = [vfioPci(0), vfioPci(1), bind(0), bind(1)];

/** A coherency built-in with two hwpts for its context (the built-ins have one), so that each device can have its own. */
function coherency(variant = 'current', name = 'coherency-no-snoop') {
  const b = findScenario(name)!;
  return buildModel({ ...b, contexts: b.contexts.map((c) => ({ ...c, hwpts: 2 })) }, findVariant(variant)!);
}

describe('scenarios without a noSnoop device carry no coherency state', () => {
  it('vfio-vs-dma-api has no no_snoop_stale or enforce_cache_coherency and offers no dma_no_snoop', () => {
    const m = model('vfio-vs-dma-api');
    expect(m.init.devices[0]).not.toHaveProperty('no_snoop_stale');
    for (const c of m.init.containers) expect(c).not.toHaveProperty('enforce_cache_coherency');
    expect(coherencyEnforced.notJudged?.(m.scenario)).toMatch(/no device of the scenario issues no-snoop requests/);
  });

  it('coherency-no-snoop starts with every hwpt undecided and offers no read before a user domain', () => {
    const m = coherency();
    expect(m.init.containers[0]!.enforce_cache_coherency).toEqual([null, null]);
    expect(m.init.devices.map((d) => d.no_snoop_stale)).toEqual([false, false]);
    expect(m.events(m.init).filter((e) => e.type === 'dma_no_snoop')).toEqual([]);
  });
});

describe('iommufd_hwpt_paging_enforce_cc: fixed when the hwpt is allocated', () => {
  it('an hwpt allocated for a device whose IOMMU has snoop control enforces; its no-snoop reads are snooped', () => {
    const m = coherency();
    const s = run(m, [...BOUND, attach(0)]);
    expect(s.containers[0]!.enforce_cache_coherency).toEqual([true, null]);
    expect(m.events(s)).toContainEqual(read(0));
    expect(expectOk(m, s, read(0)).devices[0]!.no_snoop_stale).toBe(false);
  });

  it('an hwpt allocated for a device without snoop control does not enforce, and is never upgraded by a later attach', () => {
    const m = coherency();
    const s = run(m, [...BOUND, attach(1), attach(0)]);
    expect(s.containers[0]!.enforce_cache_coherency).toEqual([false, null]);
    expect(s.devices.map((d) => d.hw)).toEqual(['hwpt:0.0', 'hwpt:0.0']);
    // No claim, so the user flushes (KVM emulates WBINVD): the unsnooped read is not stale.
    expect(expectOk(m, s, read(1)).devices[1]!.no_snoop_stale).toBe(false);
  });

  it('a latched hwpt returns 0 without asking the driver again', () => {
    const m = coherency();
    const s = run(m, [...BOUND, attach(0)]);
    const r = currentKernel.iommufd_hwpt_paging_enforce_cc({ k: { ...currentKernel, iommu_enforce_cache_coherency: () => ({ ok: false, errno: 'EINVAL', reason: 'asked' }) }, scenario: m.scenario }, s, { ctx: 0, hwpt: 0 });
    expect(r.ok).toBe(true);
  });
});

describe('the domain op enforce_cache_coherency (intel_iommu_enforce_cache_coherency_ss)', () => {
  it('returns false while a device behind an IOMMU without snoop control is attached (domain_support_force_snooping)', () => {
    const m = coherency();
    const s = run(m, [...BOUND, attach(1)]);
    const env = { k: currentKernel, scenario: m.scenario };
    const r = currentKernel.iommu_enforce_cache_coherency(env, s, { domain: 'hwpt:0.0' });
    expect(r.ok ? 'true' : r.errno).toBe('EINVAL');
    expect(currentKernel.iommufd_hwpt_paging_enforce_cc(env, s, { ctx: 0, hwpt: 1 }).ok).toBe(true);
  });
});

describe('paging_domain_compatible: a device whose IOMMU cannot snoop is refused by an enforcing domain', () => {
  it('attaching 04:00.0 to the hwpt allocated for 03:00.0 gets -EINVAL, and its own hwpt takes it', () => {
    const m = coherency();
    const s = run(m, [...BOUND, attach(0)]);
    const r = expectErrno('EINVAL', m, s, attach(1, 0));
    expect(r.ok ? '' : r.reason).toMatch(/paging_domain_compatible: hwpt:0\.0 has force_snooping but 04:00\.0/);
    const t = expectOk(m, s, attach(1, 1));
    expect(t.containers[0]!.enforce_cache_coherency).toEqual([true, false]);
  });

  it('a replace onto the enforcing hwpt is refused the same way', () => {
    const m = coherency();
    const s = run(m, [...BOUND, attach(0), attach(1, 1)]);
    expectErrno('EINVAL', m, s, attach(1, 0));
  });
});

describe('VFIO type1: vfio_iommu_type1_attach_group asks the op right after the attach, per group', () => {
  const open = (group: number) => ({ type: 'vfio_group_fops_open', ctx: 0, group }) as const;
  const setContainer = (group: number) => ({ type: 'vfio_group_ioctl_set_container', ctx: 0, group }) as const;
  const setIommu = { type: 'vfio_ioctl_set_iommu', ctx: 0 } as const;

  it('the vfio_domain of 03:00.0\'s group enforces, that of 04:00.0 does not; neither no-snoop read is stale', () => {
    const m = coherency('current', 'coherency-no-snoop-type1');
    const s = run(m, [vfioPci(0), vfioPci(1), open(0), open(1), setContainer(0), setContainer(1), setIommu]);
    expect(s.groups.map((g) => g.enforce_cache_coherency)).toEqual([true, false]);
    expect(s.devices.map((d) => d.hw)).toEqual(['container:0', 'container:0']);
    const t = run(m, [read(0), read(1)], s);
    expect(t.devices.map((d) => d.no_snoop_stale)).toEqual([false, false]);
  });

  it('an op that claims without domain_support_force_snooping makes the read of 04:00.0 stale', () => {
    const m = coherency('enforce-cc-claims-without-snoop-control', 'coherency-no-snoop-type1');
    const s = run(m, [vfioPci(1), open(1), setContainer(1), setIommu, read(1)]);
    expect(s.groups[1]!.enforce_cache_coherency).toBe(true);
    expect(s.devices[1]!.no_snoop_stale).toBe(true);
  });
});

describe('SNOOP (CoherencyEnforced)', () => {
  it('holds under the current kernel on both coherency built-ins', () => {
    for (const name of ['coherency-no-snoop', 'coherency-no-snoop-type1']) expect(explore(buildModel(findScenario(name)!, findVariant('current')!)).violations).toEqual([]);
  });

  it('breaks through type1 when the op claims without snoop control', () => {
    const r = explore(buildModel(findScenario('coherency-no-snoop-type1')!, findVariant('enforce-cc-claims-without-snoop-control')!));
    expect(r.violations.map((v) => v.invariant)).toEqual(['SNOOP']);
  });

  it('breaks when the driver skips the snoop check: 04:00.0 reads stale data on the enforcing hwpt', () => {
    const m = coherency('enforce-cc-attach-skips-snoop-check');
    const s = expectOk(m, run(m, [...BOUND, attach(0), attach(1)]), read(1));
    expect(s.devices[1]!.no_snoop_stale).toBe(true);
    expect(coherencyEnforced.check!(s, m.scenario)).toMatch(/04:00\.0 read memory with a no-snoop request on a user domain that claims enforce_cache_coherency/);
    const r = explore(m);
    expect(r.violations.map((v) => v.invariant)).toEqual(['SNOOP']);
  });

  it('is not judged without a user context', () => {
    expect(coherencyEnforced.notJudged?.({ ...findScenario('coherency-no-snoop')!, contexts: [] })).toMatch(/no user context/);
  });
});

describe('every new call of the rule table can be overridden by a variant', () => {
  for (const name of ['iommu_enforce_cache_coherency', 'iommufd_hwpt_paging_enforce_cc', 'paging_domain_compatible'] as const) {
    it(`${name} is reached on coherency-no-snoop`, () => expectOverridable(name, findScenario('coherency-no-snoop')!));
  }
});
