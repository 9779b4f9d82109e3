/**
 * Real designs that were merged and later fixed, or proposed and rejected (kernel-semantics.md
 * section 6, W1-W8). Each override names the kernel function it replaces and why.
 */
import { DEFAULT_DOMAIN } from '../../kernel/domains.ts';
import { DRIVERS, isDriverName } from '../../kernel/drivers.ts';
import { err, errAfter, ok } from '../../kernel/errno.ts';
import { currentKernel } from '../semantics/index.ts';
import type { DevArg, Env, KernelFn } from '../semantics/kernel.ts';
import { groupOf, patchDevice, presentDevices, updateDevice, updateGroup, warnOn, type Owner, type SystemState } from '../state.ts';
import { defineVariant } from './defineVariant.ts';

/** Before v5.19 there was no ownership API: a DMA-API driver could bind anywhere. */
const useDefaultDomainUnchecked: KernelFn<DevArg> = (env, s, { dev }) => {
  const group = groupOf(env.scenario, dev);
  const g = s.groups[group]!;
  if (!g.default_domain) return err('EPROBE_DEFER', 'group->default_domain is not set up yet');
  return ok(updateGroup(s, group, { owner_cnt: g.owner_cnt + 1 }));
};

/** __iommu_take_dma_ownership as if owner_cnt were 0: the claim ignores bound DMA-API drivers, which keep their count. */
const takeBesideKernelUsers = (env: Env, s: SystemState, group: number, owner: Owner) => {
  const r = env.k.__iommu_take_dma_ownership(env, updateGroup(s, group, { owner_cnt: 0 }), { group, owner });
  return r.ok ? ok(updateGroup(r.next, group, { owner_cnt: s.groups[group]!.owner_cnt + 1 })) : r;
};

/** VFIO viability (old vfio.c): every device driverless, bound to a VFIO driver or pci-stub. */
const viable = (driver: string | null): boolean =>
  driver === null || driver === 'pci-stub' || (isDriverName(driver) && DRIVERS[driver].vfio);

export const w1PreViability = defineVariant({
  name: 'w1-vfio-viability',
  kind: 'historical',
  description:
    'Pre-5.19 VFIO: the group is claimed when it is "viable" at SET_CONTAINER; a DMA-API driver can still bind later, and the group notifier BUG_ONs only after its probe ran.',
  source: 'old drivers/vfio/vfio.c (vfio_dev_viable, vfio_iommu_group_notifier); fixed by 1ea2a07a532b (v5.19)',
  breaks: ['I1'],
  showcase: 'pci-stub-neighbour',
  overrides: {
    iommu_device_use_default_domain: useDefaultDomainUnchecked,
    iommu_group_claim_dma_owner(env, s, { group, owner }) {
      if (s.groups[group]!.owner !== null) return err('EBUSY', 'the group is already in use');
      const bad = presentDevices(s, group).find((i) => !viable(s.devices[i]?.driver ?? null));
      if (bad !== undefined) return err('EBUSY', `group not viable: ${s.devices[bad]?.driver} is bound`);
      return takeBesideKernelUsers(env, s, group, owner);
    },
    really_probe(env, s, a) {
      const r = currentKernel.really_probe(env, s, a);
      if (!r.ok || s.groups[groupOf(env.scenario, a.dev)]!.owner === null || viable(a.driver)) return r;
      return ok(warnOn(r.next, 'BUG_ON in vfio_iommu_group_notifier: non-viable driver bound in a group in use'));
    },
  },
});

export const w3PreOwnershipHotAdd = defineVariant({
  name: 'w3-attach-device-count-pre-5.19',
  kind: 'historical',
  description:
    "iommu_attach_device's point-in-time device-count check without the 5.19 ownership rules: a member hot-added after the check joins the private domain and a DMA-API driver can still bind to it.",
  source: 'commit 426a273834eae (2015) count check; pre-5.19 iommu.c had no iommu_device_use_default_domain',
  breaks: ['I4'],
  showcase: 'private-domain-hot-add',
  overrides: { iommu_device_use_default_domain: useDefaultDomainUnchecked },
});

/** Pre-~v6.2 iommu_sva_bind_device: SVA only on groups with exactly one device right now. */
export const w4SvaDeviceCount = defineVariant({
  name: 'w4-sva-device-count',
  kind: 'historical',
  description:
    'SVA gated by the group device count (iommu_group_device_count == 1) instead of ACS RR+UF on the path; a peer hot-added later receives PASID DMA by P2P.',
  source: 'iommu.c iommu_sva_bind_device before commit 201007ef707a (PCI: Enable PASID only when ACS RR & UF enabled)',
  breaks: ['I12'],
  overrides: {
    iommu_sva_bind_device(env, s, a) {
      const n = presentDevices(s, groupOf(env.scenario, a.dev)).length;
      if (n !== 1) return err('EINVAL', `SVA doesn't support groups with more than one device (${n})`);
      return currentKernel.iommu_sva_bind_device(env, s, a);
    },
    iommu_attach_device_pasid(env, s, { dev, pasid, domain }) {
      const group = groupOf(env.scenario, dev);
      const pasids = s.groups[group]!.pasid_array;
      if (pasids.some((e) => e.pasid === pasid)) return err('EBUSY', `PASID ${pasid} is in use`);
      return ok(updateGroup(s, group, { pasid_array: [...pasids, { pasid, domain }].sort((x, y) => x.pasid - y.pasid) }));
    },
  },
});

/** RFC v2 02/11 iommu_group_singleton_lockdown(): true iff one DMA-API driver and no owner. */
const lockdown = (s: SystemState, group: number) => {
  const g = s.groups[group]!;
  if (g.owner_cnt !== 1 || g.domain !== DEFAULT_DOMAIN || g.owner) return null;
  return updateGroup(s, group, { singleton_lockdown: true });
};

export const w5SingletonLockdown = defineVariant({
  name: 'w5-singleton-lockdown',
  kind: 'proposed',
  description:
    'RFC iommu_group_singleton_lockdown(): replaces the device-count checks with "owner_cnt == 1, default domain, no owner" - it counts drivers, not devices, so a driverless or pci-stub peer passes.',
  source: 'Lu Baolu, [PATCH RFC v2 02/11] iommu: Add iommu_group_singleton_lockdown(), 29 Mar 2022',
  breaks: ['I12'],
  showcase: 'sva-driverless-peer',
  overrides: {
    iommu_device_use_default_domain(env, s, a) {
      if (s.groups[groupOf(env.scenario, a.dev)]!.singleton_lockdown) return err('EBUSY', 'the group is locked down for a singleton driver');
      return currentKernel.iommu_device_use_default_domain(env, s, a);
    },
    iommu_device_unuse_default_domain(env, s, a) {
      const r = currentKernel.iommu_device_unuse_default_domain(env, s, a);
      const group = groupOf(env.scenario, a.dev);
      return r.ok && r.next.groups[group]!.owner_cnt === 0 ? ok(updateGroup(r.next, group, { singleton_lockdown: false })) : r;
    },
    iommu_attach_device(env, s, { dev, domain }) {
      if (!s.devices[dev]?.present) return err('ENODEV', 'the device has no IOMMU group');
      const group = groupOf(env.scenario, dev);
      const locked = lockdown(s, group);
      if (!locked) return err('EINVAL', 'iommu_group_singleton_lockdown() failed');
      return env.k.__iommu_attach_group(env, locked, { group, domain });
    },
    iommu_sva_bind_device(env, s, a) {
      const locked = lockdown(s, groupOf(env.scenario, a.dev));
      if (!locked) return err('EINVAL', 'iommu_group_singleton_lockdown() failed');
      return currentKernel.iommu_sva_bind_device(env, locked, a);
    },
    iommu_attach_device_pasid: w4SvaDeviceCount.overrides.iommu_attach_device_pasid!,
  },
});

/** Every member of group `group` detached to no domain (NULL). */
const detachToNull = (s: SystemState, group: number): SystemState => {
  const devices = s.devices.slice();
  for (const i of presentDevices(s, group)) devices[i] = patchDevice(devices[i]!, { hw: null });
  return { ...s, devices };
};

export const w7ClaimDetachToNull = defineVariant({
  name: 'w7-claim-detach-to-null',
  kind: 'historical',
  description:
    'First merged ownership: a claim detaches the group to a NULL domain instead of the blocking domain, and detach returns to NULL while owned.',
  source: 'commit 1ea2a07a532b; fixed by "iommu: iommu_group_claim_dma_owner() must always assign a domain" (May 2022)',
  breaks: ['I6', 'I9'],
  overrides: {
    __iommu_take_dma_ownership(_env, s, { group, owner }) {
      const g = s.groups[group]!;
      if (g.domain !== null && g.domain !== DEFAULT_DOMAIN) return err('EBUSY', `group->domain is ${g.domain}`);
      return ok(updateGroup(detachToNull(s, group), group, { domain: null, owner, owner_cnt: g.owner_cnt + 1 }));
    },
    __iommu_group_set_core_domain(env, s, { group }) {
      if (s.groups[group]!.owner === null) return currentKernel.__iommu_group_set_core_domain(env, s, { group });
      return ok(updateGroup(detachToNull(s, group), group, { domain: null }));
    },
  },
});

export const w8ProbeErrorLeak = defineVariant({
  name: 'w8-probe-error-leak',
  kind: 'historical',
  description:
    "really_probe's error path skips dma_cleanup, so owner_cnt keeps the failed driver's count and every later claim gets -EPERM.",
  source: 'owner_cnt leak on the CONFIG_DEBUG_TEST_DRIVER_REMOVE re-probe path (Zenghui Yu, Jun 2023)',
  breaks: ['I2'],
  overrides: {
    // really_probe (dd.c) with the error path's dma_cleanup missing.
    really_probe(env, s, { dev, driver }) {
      if (!DRIVERS[driver].probeFails) return currentKernel.really_probe(env, s, { dev, driver });
      if (!s.devices[dev]?.present || s.devices[dev]?.driver) return currentKernel.really_probe(env, s, { dev, driver });
      const bound = updateDevice(s, dev, { driver });
      const r = env.k.pci_dma_configure(env, bound, { dev });
      if (!r.ok) return err(r.errno, `pci_dma_configure: ${r.reason}`);
      const after = updateDevice(r.next, dev, { driver: null });
      return errAfter('ENXIO', `${driver}: probe() failed; the error path skipped dma_cleanup`, after);
    },
  },
});

export const v519HotAddDefault = defineVariant({
  name: 'v5.19-hot-add-default-domain',
  kind: 'historical',
  description:
    'v5.19 to ~v6.3 iommu_probe_device: a hot-added device gets the default domain unless group->owner is set, even when a kernel driver attached a private domain: the group is split.',
  source: 'iommu.c @00208852 iommu_probe_device ("If device joined an existing group which has been claimed, don\'t attach the default domain")',
  breaks: ['I7'],
  overrides: {
    iommu_probe_device(env, s, a) {
      const r = currentKernel.iommu_probe_device(env, s, a);
      const g = s.groups[groupOf(env.scenario, a.dev)]!;
      if (!r.ok || g.owner !== null || !g.default_domain) return r;
      return ok({ ...r.next, devices: r.next.devices.map((d, i) => (i === a.dev ? patchDevice(d, { hw: DEFAULT_DOMAIN }) : d)) });
    },
  },
});

export const claimIgnoresDmaApiUsers = defineVariant({
  name: 'claim-ignores-dma-api-users',
  kind: 'proposed',
  description:
    'Ownership arbitrates only between owners: iommu_group_claim_dma_owner and iommu_device_claim_dma_owner ignore bound DMA-API drivers, so a user may own a group while a kernel driver keeps using a device of it (the user/kernel "mixture").',
  source: 'Bjorn Helgaas on the v5 DMA-ownership series (4 Jan 2022): "could do that without iommu_device_use_dma_api()", answered by Jason Gunthorpe (seed 000)',
  breaks: ['I1', 'I3', 'I4'],
  showcase: 'vfio-vs-dma-api',
  overrides: {
    iommu_group_claim_dma_owner(env, s, { group, owner }) {
      const o = s.groups[group]!.owner;
      if (o !== null) return err('EPERM', `the group is owned by ${o}`);
      return takeBesideKernelUsers(env, s, group, owner);
    },
    iommu_device_claim_dma_owner(env, s, a) {
      if (!s.devices[a.dev]?.present) return err('ENODEV', 'the device has no IOMMU group');
      const group = groupOf(env.scenario, a.dev);
      const g = s.groups[group]!;
      if (g.owner === null && g.owner_cnt !== 0) return takeBesideKernelUsers(env, s, group, a.owner);
      return currentKernel.iommu_device_claim_dma_owner(env, s, a);
    },
  },
});

export const claimKeepsDefaultDomain = defineVariant({
  name: 'claim-keeps-default-domain',
  kind: 'proposed',
  description:
    'A claim sets group->owner but leaves the group on the default domain until the owner attaches a domain of its own: device fds exist while the devices still translate through the kernel\'s DMA-API domain.',
  source: 'rejected by Jason Gunthorpe, 12 Jun 2021 (seed 003): "a device under VFIO control should immediately have it\'s IOMMU programmed to block all DMA"',
  breaks: ['I6', 'I9', 'I10'],
  overrides: {
    __iommu_take_dma_ownership(_env, s, { group, owner }) {
      const g = s.groups[group]!;
      if (g.domain !== null && g.domain !== DEFAULT_DOMAIN) return err('EBUSY', `group->domain is ${g.domain}`);
      if (g.pasid_array.length > 0) return err('EBUSY', 'group->pasid_array is not empty');
      return ok(updateGroup(s, group, { owner, owner_cnt: g.owner_cnt + 1 }));
    },
  },
});

/** pci-stub or pcieport: driver_managed_dma without being a VFIO driver. */
const stubLike = (driver: string | null): boolean => !!driver && isDriverName(driver) && DRIVERS[driver].driverManagedDma && !DRIVERS[driver].vfio;

/** -EPERM while pci-stub or pcieport is bound in the group (counted as a kernel DMA user), else null. */
const refuseBesideStub = (s: SystemState, group: number) => {
  const stub = presentDevices(s, group).find((i) => stubLike(s.devices[i]?.driver ?? null));
  return stub === undefined ? null : err('EPERM', `${s.devices[stub]?.driver} is bound and counts as a kernel DMA user`);
};

export const pciStubNotManaged = defineVariant({
  name: 'pci-stub-not-managed',
  kind: 'proposed',
  description:
    'pci-stub and pcieport without driver_managed_dma: they count as kernel DMA users, so a claim is refused while one is bound and neither binds in an owned group. No P2P exposure, and no VFIO beside a stubbed group-mate.',
  source: 'the DMA-ownership series without "PCI: pci_stub: Suppress kernel DMA ownership auto-claiming" (v1-v5, Nov 2021; seed 002)',
  breaks: [],
  overrides: {
    iommu_group_claim_dma_owner: (env, s, a) => refuseBesideStub(s, a.group) ?? currentKernel.iommu_group_claim_dma_owner(env, s, a),
    iommu_device_claim_dma_owner: (env, s, a) => refuseBesideStub(s, groupOf(env.scenario, a.dev)) ?? currentKernel.iommu_device_claim_dma_owner(env, s, a),
    pci_dma_configure(env, s, a) {
      const o = s.groups[groupOf(env.scenario, a.dev)]!.owner;
      if (stubLike(s.devices[a.dev]?.driver ?? null) && o !== null) return err('EBUSY', `the group is owned by ${o}`);
      return currentKernel.pci_dma_configure(env, s, a);
    },
  },
});

export const w6ImmutableSingleton = defineVariant({
  name: 'w6-immutable-singleton',
  kind: 'proposed',
  description:
    'RFC v3 group->immutable_singleton: iommu_attach_device refuses (-EINVAL) unless the group can never have more than one member (pci_immutably_isolated()); in the model, a scenario with a single device slot.',
  source: 'Lu Baolu, RFC v3 (10 Apr 2022), after Jason Gunthorpe: "Testing the group size is inherently the wrong test to make" (kernel-semantics.md 4(b))',
  breaks: [],
  overrides: {
    iommu_attach_device(env, s, a) {
      const group = groupOf(env.scenario, a.dev);
      if (env.scenario.devices.filter((_, i) => groupOf(env.scenario, i) === group).length !== 1) {
        return err('EINVAL', 'group->immutable_singleton is false: the group can gain members');
      }
      return currentKernel.iommu_attach_device(env, s, a);
    },
  },
});

/** Historical and proposed designs, in registry order. */
export const HISTORICAL_VARIANTS = [
  w1PreViability,
  w3PreOwnershipHotAdd,
  w4SvaDeviceCount,
  w5SingletonLockdown,
  w6ImmutableSingleton,
  w7ClaimDetachToNull,
  w8ProbeErrorLeak,
  v519HotAddDefault,
  claimIgnoresDmaApiUsers,
  claimKeepsDefaultDomain,
  pciStubNotManaged,
] as const;
