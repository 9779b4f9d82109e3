/**
 * BAR access through vfio-pci (issue 16, Deliver 6): vfio_pci_mmap_huge_fault, vfio_basic_config_write,
 * vfio_pci_zap_bars / vfio_pci_zap_and_down_write_memory_lock, vfio_pci_core_iowrite and
 * VFIO_DEVICE_RESET (vfio_pci_ioctl_reset ... pci_dev_restore), and BAR (BarDecodeOn). Built-in
 * vfio-bar-mmap.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/engine/explore.ts';
import { barDecodeOn } from '../../../src/invariants/barDecodeOn.ts';
import { buildModel } from '../../../src/machines/model.ts';
import type { Scenario } from '../../../src/machines/scenario.ts';
import { currentVariant, findVariant } from '../../../src/machines/variants/index.ts';
import { dev as devSpec, ctx as ctxSpec, findScenario } from '../../../src/scenarios/builtin.ts';
import { expectErrno, expectOk, model, run } from '../../helpers/model.ts';

const vfioPci = { type: 'really_probe', dev: 0, driver: 'vfio-pci' } as const;
const bind = { type: 'vfio_df_ioctl_bind_iommufd', ctx: 0, dev: 0 } as const;
const unbind = { type: 'vfio_df_unbind_iommufd', ctx: 0, dev: 0 } as const;
const fault = { type: 'vfio_pci_mmap_huge_fault', ctx: 0, dev: 0 } as const;
const decode = (on: boolean) => ({ type: 'vfio_basic_config_write', ctx: 0, dev: 0, memory: on ? 1 : 0 }) as const;
const iowrite = { type: 'vfio_pci_core_iowrite', ctx: 0, dev: 0 } as const;
const reset = { type: 'vfio_pci_ioctl_reset', ctx: 0, dev: 0 } as const;
const restore = { type: 'pci_dev_restore', ctx: 0, dev: 0 } as const;
const access = { type: 'user_bar_access', ctx: 0, dev: 0 } as const;
const types = (es: { type: string }[]) => es.map((e) => e.type);

describe('scenarios without BAR mmaps carry no BAR state', () => {
  it('pci-reset-staged has no command_memory, bar_ptes or memory_lock, offers no BAR call, and BAR is not judged there', () => {
    const m = model('pci-reset-staged');
    for (const f of ['command_memory', 'bar_ptes', 'memory_lock']) expect(m.init.devices[0]).not.toHaveProperty(f);
    const s = run(m, [vfioPci, bind]);
    expect(types(m.events(s)).filter((t) => t.startsWith('vfio_pci') || t === 'user_bar_access' || t === 'vfio_basic_config_write')).toEqual([]);
    expect(barDecodeOn.notJudged!(findScenario('pci-reset-staged')!)).toBe('no device of the scenario has barMmap: no user maps a BAR');
    expect(barDecodeOn.notJudged!(findScenario('vfio-bar-mmap')!)).toBeNull();
  });
});

describe('vfio_pci_mmap_huge_fault', () => {
  it('with memory decode on inserts the PFN: the PTE is populated and the user may load and store', () => {
    const m = model('vfio-bar-mmap');
    const s = run(m, [vfioPci, bind]);
    expect(s.devices[0]).toMatchObject({ command_memory: true, bar_ptes: false, memory_lock: false });
    expect(types(m.events(s))).toContain('vfio_pci_mmap_huge_fault');
    const t = expectOk(m, s, fault);
    expect(t.devices[0]!.bar_ptes).toBe(true);
    expect(types(m.events(t))).toContain('user_bar_access');
    expect(types(m.events(t))).not.toContain('vfio_pci_mmap_huge_fault');
  });

  it('with memory decode off is VM_FAULT_SIGBUS (-EFAULT): __vfio_pci_memory_enabled is false', () => {
    const m = model('vfio-bar-mmap');
    const r = expectErrno('EFAULT', m, run(m, [vfioPci, bind, decode(false)]), fault);
    expect(!r.ok && r.reason).toMatch(/VM_FAULT_SIGBUS/);
  });
});

describe('vfio_basic_config_write (PCI_COMMAND)', () => {
  it('clearing PCI_COMMAND_MEMORY zaps the PTEs in the same locked section (vfio_pci_zap_and_down_write_memory_lock)', () => {
    const m = model('vfio-bar-mmap');
    const s = expectOk(m, run(m, [vfioPci, bind, fault]), decode(false));
    expect(s.devices[0]).toMatchObject({ command_memory: false, bar_ptes: false });
    expect(types(m.events(s))).not.toContain('user_bar_access');
  });

  it('setting it again populates nothing: the next access faults the PTE back in', () => {
    const m = model('vfio-bar-mmap');
    const s = run(m, [vfioPci, bind, fault, decode(false), decode(true)]);
    expect(s.devices[0]).toMatchObject({ command_memory: true, bar_ptes: false });
    expect(expectOk(m, s, fault).devices[0]!.bar_ptes).toBe(true);
  });
});

describe('vfio_pci_core_iowrite (write() on a BAR region)', () => {
  it('is -EIO with memory decode off and goes through with it on', () => {
    const m = model('vfio-bar-mmap');
    expectErrno('EIO', m, run(m, [vfioPci, bind, decode(false)]), iowrite);
    const s = run(m, [vfioPci, bind]);
    expect(expectOk(m, s, iowrite)).toBe(s);
  });
});

describe('VFIO_DEVICE_RESET: vfio_pci_ioctl_reset ... pci_dev_restore', () => {
  it('zaps the PTEs and holds memory_lock for write across the reset: only the reset\'s end is offered, no fault, config write, write() or close', () => {
    const m = model('vfio-bar-mmap');
    const s = expectOk(m, run(m, [vfioPci, bind, fault]), reset);
    expect(s.devices[0]).toMatchObject({ bar_ptes: false, memory_lock: true, command_memory: true });
    const bar = ['vfio_pci_mmap_huge_fault', 'vfio_basic_config_write', 'vfio_pci_core_iowrite', 'vfio_pci_ioctl_reset', 'pci_dev_restore', 'user_bar_access', 'vfio_df_unbind_iommufd'];
    expect(types(m.events(s)).filter((t) => bar.includes(t))).toEqual(['pci_dev_restore']);
  });

  it('pci_dev_restore ends it: memory_lock dropped, decode as the user left it (vconfig is not touched)', () => {
    const m = model('vfio-bar-mmap');
    const s = run(m, [vfioPci, bind, decode(false), reset, restore]);
    expect(s.devices[0]).toMatchObject({ memory_lock: false, command_memory: false, bar_ptes: false });
  });

  it('on a resettable ATS device the reset method brackets the reset with pci_dev_reset_iommu_prepare / _done', () => {
    const scenario: Scenario = {
      name: 'bar-resettable',
      description: 'test',
      devices: [devSpec('05:00.0', ['vfio-pci'], { barMmap: true, resettable: true, ats: true })],
      contexts: [ctxSpec('vmm', ['iommufd'])],
      hotplug: false,
      p2p: [],
      topology: null,
    };
    const m = buildModel(scenario, currentVariant);
    const during = run(m, [vfioPci, bind, reset]);
    expect(during.devices[0]).toMatchObject({ hw: 'blocking', blocked: true, resetting: 1, memory_lock: true });
    expect(during.groups[0]!.recovery_cnt).toBe(1);
    // The VFIO reset's own method ends with pci_dev_restore: no free-running done for it, a nested method may begin.
    expect(types(m.events(during))).not.toContain('pci_dev_reset_iommu_done');
    expect(types(m.events(during))).toContain('pci_dev_reset_iommu_prepare');
    // A nested method begun inside it must end first: no pci_dev_restore until then.
    const nested = expectOk(m, during, { type: 'pci_dev_reset_iommu_prepare', dev: 0 });
    expect(types(m.events(nested))).not.toContain('pci_dev_restore');
    expect(types(m.events(nested))).toContain('pci_dev_reset_iommu_done');
    const after = expectOk(m, during, restore);
    expect(after.devices[0]).toMatchObject({ blocked: false, resetting: 0, memory_lock: false });
    expect(after.groups[0]!.recovery_cnt).toBe(0);
    // While another reset method holds the device lock: pci_try_reset_function's trylock fails, after the zap.
    const busy = run(m, [vfioPci, bind, fault, { type: 'pci_dev_reset_iommu_prepare', dev: 0 }]);
    const r = expectErrno('EAGAIN', m, busy, reset);
    expect(!r.ok && r.after?.devices[0]).toMatchObject({ bar_ptes: false, memory_lock: false });
  });
});

describe('closing the device fd drops the BAR mapping', () => {
  it('on the legacy path: no close of the device fd while its VFIO_DEVICE_RESET runs; after the close no PTE is left', () => {
    const m = model('vfio-bar-mmap');
    const legacy = [
      vfioPci,
      { type: 'vfio_group_fops_open', ctx: 0, group: 0 },
      { type: 'vfio_group_ioctl_set_container', ctx: 0, group: 0 },
      { type: 'vfio_ioctl_set_iommu', ctx: 0 },
      { type: 'vfio_group_ioctl_get_device_fd', ctx: 0, dev: 0 },
    ] as const;
    const open = run(m, [...legacy, fault]);
    expect(open.devices[0]).toMatchObject({ group_fd: 0, bar_ptes: true });
    expect(types(m.events(open))).toContain('vfio_device_fops_release');
    expect(types(m.events(expectOk(m, open, reset)))).not.toContain('vfio_device_fops_release');
    const closed = expectOk(m, open, { type: 'vfio_device_fops_release', ctx: 0, dev: 0 });
    expect(closed.devices[0]).toMatchObject({ group_fd: null, bar_ptes: false });
  });

  it('after vfio_df_unbind_iommufd the device is back to decode on, no PTEs', () => {
    const m = model('vfio-bar-mmap');
    const s = run(m, [vfioPci, bind, fault, decode(true), unbind]);
    expect(s.devices[0]).toMatchObject({ command_memory: true, bar_ptes: false, memory_lock: false });
    const t = run(m, [vfioPci, bind, decode(false), unbind]);
    expect(t.devices[0]!.command_memory).toBe(true);
  });

  it('a load or store through the PTE is judged by BAR: fine with decode on', () => {
    const m = model('vfio-bar-mmap');
    const s = run(m, [vfioPci, bind, fault]);
    expect(barDecodeOn.step!(s, access, expectOk(m, s, access), m.scenario)).toBeNull();
  });
});

describe('BAR (BarDecodeOn) on vfio-bar-mmap', () => {
  it('holds under the current kernel', () => {
    expect(explore(model('vfio-bar-mmap')).violations).toEqual([]);
  });

  it.each([
    ['config-write-without-zap', /with memory decode off/],
    ['reset-without-zap', /while VFIO_DEVICE_RESET resets the device/],
    ['fault-ignores-decode', /with memory decode off/],
  ])('%s breaks it with a trace ending in the user\'s access', (variant, why) => {
    const r = explore(model('vfio-bar-mmap', variant));
    expect(r.violations.map((v) => v.invariant)).toEqual(['BAR']);
    expect(r.violations[0]!.reason).toMatch(why);
    expect(findVariant(variant)!.breaks).toEqual(['BAR']);
  });
});
