/**
 * Staged PCI resets (issue 16): pci_dev_reset_iommu_prepare / pci_dev_reset_iommu_done
 * (drivers/iommu/iommu.c after b296ca1fb43a, 0d5fd7a9323c, 5474e6e17a26), the recovery_cnt fence
 * on attaches and claims, the must-succeed paths that pass it, DMA-alias siblings sharing a
 * requester ID, and I20 (BlockedForReset). Built-ins pci-reset-staged and pci-reset-dma-alias.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/engine/explore.ts';
import { i20BlockedForReset } from '../../../src/invariants/i20BlockedForReset.ts';
import { buildModel } from '../../../src/machines/model.ts';
import { findVariant } from '../../../src/machines/variants/index.ts';
import { findScenario } from '../../../src/scenarios/builtin.ts';
import { expectErrno, expectOk, model, run } from '../../helpers/model.ts';

const prepare = (dev: number) => ({ type: 'pci_dev_reset_iommu_prepare', dev }) as const;
const done = (dev: number) => ({ type: 'pci_dev_reset_iommu_done', dev }) as const;
const vfioPci = (dev: number) => ({ type: 'really_probe', dev, driver: 'vfio-pci' }) as const;
const bind = (dev: number) => ({ type: 'vfio_df_ioctl_bind_iommufd', ctx: 0, dev }) as const;
const attach = (dev: number) => ({ type: 'vfio_df_ioctl_attach_pt', ctx: 0, dev, hwpt: 0 }) as const;
const detach = (dev: number) => ({ type: 'vfio_df_ioctl_detach_pt', ctx: 0, dev }) as const;
const unbind = (dev: number) => ({ type: 'vfio_df_unbind_iommufd', ctx: 0, dev }) as const;

describe('scenarios without resets carry no reset state', () => {
  it('vfio-vs-dma-api has no blocked, reset_depth, resetting or recovery_cnt, and offers no reset call', () => {
    const m = model('vfio-vs-dma-api');
    expect(m.init.devices[0]).not.toHaveProperty('blocked');
    expect(m.init.devices[0]).not.toHaveProperty('reset_depth');
    expect(m.init.devices[0]).not.toHaveProperty('resetting');
    expect(m.init.groups[0]).not.toHaveProperty('recovery_cnt');
    expect(m.events(m.init).map((e) => e.type).filter((t) => t.startsWith('pci_dev_reset'))).toEqual([]);
  });
});

describe('pci_dev_reset_iommu_prepare', () => {
  it('parks the RID on the blocking domain, keeps group->domain, sets gdev->blocked and counts recovery_cnt', () => {
    const m = model('pci-reset-staged');
    const s = expectOk(m, run(m, [vfioPci(0), bind(0), attach(0)]), prepare(0));
    expect(s.groups[0]).toMatchObject({ domain: 'hwpt:0.0', recovery_cnt: 1, blocking_domain: true });
    expect(s.devices[0]).toMatchObject({ hw: 'blocking', blocked: true, reset_depth: 1, resetting: 1 });
    expect(s.devices[1]!.hw).toBe('hwpt:0.0');
  });

  it('a nested prepare only increments reset_depth (0d5fd7a9323c)', () => {
    const m = model('pci-reset-staged');
    const s = expectOk(m, run(m, [prepare(0)]), prepare(0));
    expect(s.devices[0]).toMatchObject({ hw: 'blocking', blocked: true, reset_depth: 2, resetting: 2 });
    expect(s.groups[0]!.recovery_cnt).toBe(1);
  });

  it('a second device of the group is blocked and counted on its own (b296ca1fb43a)', () => {
    const m = model('pci-reset-staged');
    const s = run(m, [prepare(0), prepare(1)]);
    expect(s.devices.map((d) => [d.hw, d.blocked])).toEqual([['blocking', true], ['blocking', true]]);
    expect(s.groups[0]!.recovery_cnt).toBe(2);
  });

  it('parks the requester ID a DMA-alias sibling shares with the device', () => {
    const m = model('pci-reset-dma-alias');
    const s = run(m, [prepare(0)]);
    expect(s.devices.map((d) => [d.hw, d.blocked])).toEqual([['blocking', true], ['blocking', false]]);
  });
});

describe('pci_dev_reset_iommu_done', () => {
  it('an inner done keeps the device blocked; the outermost re-attaches it to group->domain and drops recovery_cnt', () => {
    const m = model('pci-reset-staged');
    const inner = expectOk(m, run(m, [vfioPci(0), bind(0), attach(0), prepare(0), prepare(0)]), done(0));
    expect(inner.devices[0]).toMatchObject({ hw: 'blocking', blocked: true, reset_depth: 1, resetting: 1 });
    const outer = expectOk(m, inner, done(0));
    expect(outer.devices[0]).toMatchObject({ hw: 'hwpt:0.0', blocked: false, reset_depth: 0, resetting: 0 });
    expect(outer.groups[0]!.recovery_cnt).toBe(0);
  });

  it('re-attaches to the domain the group has at done time, which a must-succeed path may have changed', () => {
    const m = model('pci-reset-staged');
    const s = run(m, [vfioPci(0), bind(0), attach(0), prepare(0), detach(0), done(0)]);
    expect(s.groups[0]!.domain).toBe('blocking');
    expect(s.devices[0]!.hw).toBe('blocking');
    expect(s.warn).toBeNull();
  });

  it('re-attaches the DMA-alias sibling with the device', () => {
    const m = model('pci-reset-dma-alias');
    const s = run(m, [prepare(0), done(0)]);
    expect(s.devices.map((d) => d.hw)).toEqual(['default', 'default']);
  });
});

describe('the recovery_cnt fence', () => {
  it('an attach during a reset gets -EBUSY, for the resetting device and its group-mate alike', () => {
    const m = model('pci-reset-staged');
    const s = run(m, [vfioPci(0), vfioPci(1), bind(0), bind(1), prepare(0)]);
    expectErrno('EBUSY', m, s, attach(0));
    expectErrno('EBUSY', m, s, attach(1));
  });

  it('a claim during a reset gets -EBUSY (__iommu_take_dma_ownership through __iommu_group_set_domain)', () => {
    const m = model('pci-reset-staged');
    expectErrno('EBUSY', m, run(m, [vfioPci(0), prepare(0)]), bind(0));
  });

  it('must-succeed detach and release pass the fence and leave the blocked device on the blocking domain (5474e6e17a26)', () => {
    const m = model('pci-reset-staged');
    const s = run(m, [vfioPci(0), vfioPci(1), bind(0), bind(1), attach(0), attach(1), prepare(0), detach(0), detach(1), unbind(0), unbind(1)]);
    expect(s.warn).toBeNull();
    expect(s.groups[0]).toMatchObject({ owner: null, owner_cnt: 0, domain: 'default', recovery_cnt: 1 });
    expect(s.devices.map((d) => d.hw)).toEqual(['blocking', 'default']);
    expect(expectOk(m, s, done(0)).devices[0]!.hw).toBe('default');
  });
});

describe('I20 BlockedForReset', () => {
  it('holds on pci-reset-staged and pci-reset-dma-alias under the kernel rule', () => {
    for (const name of ['pci-reset-staged', 'pci-reset-dma-alias']) {
      const r = explore(buildModel(findScenario(name)!, findVariant('current')!));
      expect(r.violations.map((v) => v.invariant), name).toEqual([]);
    }
  });

  it('a reset that unblocks at the inner done (reset-done-ignores-depth) breaks it while the outer method still runs', () => {
    const r = explore(buildModel(findScenario('pci-reset-staged')!, findVariant('reset-done-ignores-depth')!));
    const v = r.violations.find((x) => x.invariant === 'I20')!;
    expect(v.steps.map((x) => x.event.type)).toEqual(['pci_dev_reset_iommu_prepare', 'pci_dev_reset_iommu_prepare', 'pci_dev_reset_iommu_done']);
    expect(v.reason).toContain('03:00.0 is in reset (1 reset method running) but its requester ID is on default');
  });

  it('an aliased sibling left on its domain (reset-alias-sibling-unblocked) breaks it at the prepare', () => {
    const r = explore(buildModel(findScenario('pci-reset-dma-alias')!, findVariant('reset-alias-sibling-unblocked')!));
    const v = r.violations.find((x) => x.invariant === 'I20')!;
    expect(v.steps.map((x) => x.event.type)).toEqual(['pci_dev_reset_iommu_prepare']);
    expect(v.reason).toContain('06:00.1, which shares its requester ID (DMA alias), is on default');
  });

  it('the per-group resetting_domain design breaks it: a second device\'s prepare returns 0 without parking it', () => {
    const r = explore(buildModel(findScenario('pci-reset-staged')!, findVariant('reset-resetting-domain-per-group')!));
    const v = r.violations.find((x) => x.invariant === 'I20')!;
    expect(v.steps.map((x) => `${x.event.type}(${'dev' in x.event ? x.event.dev : ''})`)).toEqual(['pci_dev_reset_iommu_prepare(0)', 'pci_dev_reset_iommu_prepare(1)']);
    expect(v.reason).toContain('03:00.1 is in reset');
  });

  it('is not judged where no device is resettable', () => {
    expect(i20BlockedForReset.notJudged?.(findScenario('vfio-vs-dma-api')!)).toBe('no device of the scenario is resettable');
    expect(i20BlockedForReset.notJudged?.(findScenario('pci-reset-staged')!)).toBeNull();
  });
});
