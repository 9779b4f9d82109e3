/**
 * Reserved regions (issue 16, Deliver 3): IOMMU_RESV_DIRECT devices (require_direct) and
 * __iommu_device_set_domain's refusal of the blocking domain (drivers/iommu/iommu.c,
 * a48ce36e2786), DIRECT_RELAXABLE regions, the gaps the refusal leaves (a private domain, a
 * hot-add into a user domain), and I11 (DirectMappings). Built-ins resv-direct-vfio-claim,
 * resv-direct-private-domain, resv-direct-hot-add-owned.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/engine/explore.ts';
import { i11DirectMappings } from '../../../src/invariants/i11DirectMappings.ts';
import { hasDirectMappings } from '../../../src/machines/semantics/iommuResv.ts';
import type { KernelResult } from '../../../src/kernel/errno.ts';
import type { SystemState } from '../../../src/machines/state.ts';
import { dev } from '../../../src/scenarios/builtin.ts';
import { buildModel, type Model } from '../../../src/machines/model.ts';
import { currentVariant } from '../../../src/machines/variants/index.ts';
import { parseScenarioFile } from '../../../src/scenarios/scenarioFile.ts';
import { expectOverridable } from '../../helpers/overridable.ts';
import { expectErrno, expectOk, model, run } from '../../helpers/model.ts';

// resv-direct-vfio-claim: 0 = 03:00.0 (its own group 0, require_direct), 1 = 04:00.0 (group 1, relaxable only).
const vfioPci = (dev: number) => ({ type: 'really_probe', dev, driver: 'vfio-pci' }) as const;
const bind = (dev: number) => ({ type: 'vfio_df_ioctl_bind_iommufd', ctx: 0, dev }) as const;
const open = (group: number) => ({ type: 'vfio_group_fops_open', ctx: 0, group }) as const;
const setContainer = (group: number) => ({ type: 'vfio_group_ioctl_set_container', ctx: 0, group }) as const;
const setIommu = { type: 'vfio_ioctl_set_iommu', ctx: 0 } as const;
/** A NIC with a BMC side-band RMRR and its audio function in one group (no ACS between them). */
const sharedGroup = (): Model =>
  buildModel(
    parseScenarioFile(
      'name: nic-and-audio\ndevices:\n  - name: nic\n    drivers: [e1000e]\n    requireDirect: true\n  - name: audio\n    drivers: [vfio-pci]\ncontexts:\n  - name: vmm\n    paths: [iommufd]\n',
      'shared.yaml',
    ).scenario,
    currentVariant,
  );
const hotAdd = (dev: number) => ({ type: 'iommu_probe_device', dev }) as const;
const expectOkResult = (r: KernelResult<SystemState>): SystemState => {
  if (!r.ok) throw new Error(`failed with -${r.errno}: ${r.reason}`);
  return r.next;
};
const check = (m: ReturnType<typeof model>, s: Parameters<NonNullable<typeof i11DirectMappings.check>>[0]) => i11DirectMappings.check!(s, m.scenario);

describe('__iommu_device_set_domain: the require_direct refusal', () => {
  it('iommufd_device_bind (iommu_device_claim_dma_owner) returns EINVAL when a group member has IOMMU_RESV_DIRECT, and the group stays on its default domain', () => {
    const m = sharedGroup();
    // The NIC is left driverless: with e1000e bound the claim fails earlier (owner_cnt: -EPERM).
    const s = run(m, [vfioPci(1)]);
    const r = expectErrno('EINVAL', m, s, bind(1));
    expect(r.ok ? '' : r.reason).toContain('nic has IOMMU_RESV_DIRECT regions (require_direct)');
    expect(s.groups[0]).toMatchObject({ owner: null, domain: 'default' });
    expect(s.devices.map((d) => d.hw)).toEqual(['default', 'default']);
  });

  it('VFIO_GROUP_SET_CONTAINER (iommu_group_claim_dma_owner) returns EINVAL for the group of a require_direct device bound to vfio-pci', () => {
    const m = model('resv-direct-vfio-claim');
    const s = run(m, [vfioPci(0), open(0)]);
    expectErrno('EINVAL', m, s, setContainer(0));
    expect(s.devices[0]!.hw).toBe('default');
  });

  it('a device with only IOMMU_RESV_DIRECT_RELAXABLE regions is not require_direct: its group is claimed and attached to the user domain', () => {
    const m = model('resv-direct-vfio-claim');
    const s = run(m, [vfioPci(1), open(1), setContainer(1), setIommu]);
    expect(s.devices[1]!.hw).toBe('container:0');
    expect(check(m, s)).toBeNull();
  });

  it('a require_direct device cannot join a group on the blocking domain (__iommu_probe_device: EINVAL, not added)', () => {
    const m = model('resv-direct-hot-add-owned');
    const s = run(m, [vfioPci(0), open(0), setContainer(0)]);
    expect(s.groups[0]!.domain).toBe('blocking');
    expectErrno('EINVAL', m, s, hotAdd(1));
  });
});

describe('what the refusal does not cover (known weaknesses, I11)', () => {
  it('a require_direct device hot-added into a group on a user domain joins it without its direct mappings: I11 breaks', () => {
    const m = model('resv-direct-hot-add-owned');
    const s = expectOk(m, run(m, [vfioPci(0), open(0), setContainer(0), setIommu]), hotAdd(1));
    expect(s.devices[1]).toMatchObject({ present: true, hw: 'container:0' });
    expect(check(m, s)).toContain("01:00.1 has IOMMU_RESV_DIRECT regions (require_direct) but its requester ID is on container:0");
    expect(check(m, s)).toContain("qemu's domain: memory the user controls");
  });

  it('then the must-succeed move to the blocking domain (__iommu_group_set_core_domain) WARNs: the member stays on the user domain while group->domain moves', () => {
    const m = model('resv-direct-hot-add-owned');
    const s = run(m, [vfioPci(0), open(0), setContainer(0), setIommu, hotAdd(1)]);
    const r = m.env.k.__iommu_group_set_core_domain(m.env, s, { group: 0 });
    const next = expectOkResult(r);
    expect(next.warn).toContain('must-succeed attach failed: -EINVAL');
    expect(next.groups[0]!.domain).toBe('blocking');
    expect(next.devices.map((d) => d.hw)).toEqual(['blocking', 'container:0']);
  });

  it('closing the VFIO group file WARNs on the way (detach to blocking) and still ends on the default domain (release_dma_owner)', () => {
    const m = model('resv-direct-hot-add-owned');
    const s = expectOk(m, run(m, [vfioPci(0), open(0), setContainer(0), setIommu, hotAdd(1)]), { type: 'vfio_group_fops_release', ctx: 0, group: 0 });
    expect(s.warn).toContain('-EINVAL');
    expect(s.devices.map((d) => d.hw)).toEqual(['default', 'default']);
  });

  it("a kernel driver's private domain (iommu_attach_device) is not refused and has no direct mappings: I11 breaks", () => {
    const m = model('resv-direct-private-domain');
    const s = expectOk(m, run(m, [{ type: 'really_probe', dev: 0, driver: 'drm-msm' }]), { type: 'iommu_attach_device', dev: 0 });
    expect(s.devices[0]!.hw).toBe('private:0');
    expect(check(m, s)).toContain('on private:0, which lacks their 1:1 mappings');
  });
});

describe('I11 DirectMappings', () => {
  it('only the default domain holds direct mappings (iommu_create_device_direct_mappings is called with group->default_domain alone)', () => {
    expect(['default', 'blocking', 'container:0', 'hwpt:0.0', 'private:0', 'sva', null].map(hasDirectMappings)).toEqual([true, false, false, false, false, false, false]);
  });

  it('holds on resv-direct-vfio-claim under the current kernel, breaks under require-direct-not-refused', () => {
    expect(explore(model('resv-direct-vfio-claim')).violations).toEqual([]);
    const v = explore(model('resv-direct-vfio-claim', 'require-direct-not-refused')).violations;
    expect(v.map((x) => x.invariant)).toContain('I11');
  });

  it('is not judged without an IOMMU_RESV_DIRECT device, and says why for a relaxable-only scenario', () => {
    const base = model('resv-direct-vfio-claim').scenario;
    expect(i11DirectMappings.notJudged!(base)).toBeNull();
    expect(i11DirectMappings.notJudged!(model('vfio-vs-dma-api').scenario)).toContain('no device has IOMMU_RESV_DIRECT');
    const relaxableOnly = { ...base, devices: [dev('00:14.0', ['vfio-pci'], { directRelaxable: true })], groups: undefined };
    expect(i11DirectMappings.notJudged!(relaxableOnly)).toContain('IOMMU_RESV_DIRECT_RELAXABLE');
  });

  it('__iommu_device_set_domain can be overridden by a variant (the override is reached on resv-direct-vfio-claim)', { timeout: 60_000 }, () => {
    expectOverridable('__iommu_device_set_domain', model('resv-direct-vfio-claim').scenario);
  });
});
