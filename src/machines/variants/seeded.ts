/**
 * Seeded bugs: small, deliberate mistakes in one kernel function each, so that every invariant
 * has a design that breaks it (a check that cannot fail is a defect). Not real kernel history.
 */
import { DEFAULT_DOMAIN, hwptDomain } from '../../kernel/domains.ts';
import { err, ok } from '../../kernel/errno.ts';
import { currentKernel } from '../semantics/index.ts';
import { openDeviceFd } from '../semantics/vfioGroup.ts';
import { groupOf, iommufdGroupOf, patchDevice, setIommufdGroup, updateContainer, updateDevice, updateGroup, withGroupDevice } from '../state.ts';
import { defineVariant } from './defineVariant.ts';

export const bugDeviceClaimNoCount = defineVariant({
  name: 'bug-device-claim-no-count',
  kind: 'seeded',
  description: 'iommu_device_claim_dma_owner forgets owner_cnt++ when the same owner claims again.',
  source: 'seeded bug',
  breaks: ['I3'],
  overrides: {
    iommu_device_claim_dma_owner(env, s, a) {
      const g = s.groups[groupOf(env.scenario, a.dev)]!;
      if (g.owner_cnt !== 0 && g.owner === a.owner) return ok(s);
      return currentKernel.iommu_device_claim_dma_owner(env, s, a);
    },
  },
});

export const bugReleaseKeepsBlocking = defineVariant({
  name: 'bug-release-keeps-blocking',
  kind: 'seeded',
  description: '__iommu_release_dma_ownership clears the owner but leaves the group on the blocking domain.',
  source: 'seeded bug',
  breaks: ['I5', 'I14'],
  overrides: {
    __iommu_release_dma_ownership(_env, s, { group }) {
      const g = s.groups[group]!;
      if (g.owner_cnt === 0 || g.owner === null) return ok(s);
      return ok(updateGroup(s, group, { owner: null, owner_cnt: 0 }));
    },
  },
});

export const bugClaimIgnoresOwner = defineVariant({
  name: 'bug-claim-ignores-owner',
  kind: 'seeded',
  description: 'iommu_device_claim_dma_owner lets a second owner in (owner_cnt++) instead of -EPERM.',
  source: 'seeded bug',
  breaks: ['I8'],
  overrides: {
    iommu_device_claim_dma_owner(env, s, a) {
      const group = groupOf(env.scenario, a.dev);
      const g = s.groups[group]!;
      if (g.owner !== null) return ok(updateGroup(s, group, { owner_cnt: g.owner_cnt + 1 }));
      return currentKernel.iommu_device_claim_dma_owner(env, s, a);
    },
  },
});

export const bugIommufdAnyHwpt = defineVariant({
  name: 'bug-iommufd-any-hwpt',
  kind: 'seeded',
  description: 'iommufd_hw_pagetable_attach lets devices of one group attach to different hwpts.',
  source: 'seeded bug',
  breaks: ['I10'],
  overrides: {
    iommufd_device_attach(env, s, { ctx, dev, hwpt }) {
      const group = groupOf(env.scenario, dev);
      const r = env.k.iommu_replace_group_handle(env, s, { group, domain: hwptDomain(ctx, hwpt) });
      if (!r.ok) return r;
      const ig = setIommufdGroup(r.next, ctx, group, { hwpt, devices: (iommufdGroupOf(s, ctx, group)?.devices ?? 0) + 1 });
      return ok(updateDevice(ig, dev, { iommufd: { ctx, hwpt } }));
    },
  },
});

export const bugHotAddIgnoresOwner = defineVariant({
  name: 'bug-hot-add-ignores-owner',
  kind: 'seeded',
  description: 'iommu_probe_device attaches a device hot-added into an owned group to the default domain.',
  source: 'seeded bug',
  breaks: ['I15'],
  overrides: {
    iommu_probe_device(env, s, a) {
      const r = currentKernel.iommu_probe_device(env, s, a);
      if (!r.ok || s.groups[groupOf(env.scenario, a.dev)]!.owner === null) return r;
      return ok(updateDevice(r.next, a.dev, { hw: DEFAULT_DOMAIN }));
    },
  },
});

export const bugDeviceFdBeforeClaim = defineVariant({
  name: 'bug-device-fd-before-claim',
  kind: 'seeded',
  description: 'VFIO_GROUP_GET_DEVICE_FD hands out a device fd before SET_CONTAINER claimed the group.',
  source: 'seeded bug',
  breaks: ['I19'],
  overrides: {
    vfio_group_ioctl_get_device_fd(env, s, a) {
      const group = groupOf(env.scenario, a.dev);
      if (s.vfio_groups[group]!.opened_by !== a.ctx) return currentKernel.vfio_group_ioctl_get_device_fd(env, s, a);
      const d = s.devices[a.dev];
      if (!d?.present || d.driver !== 'vfio-pci') return err('ENODEV', 'not a VFIO device of this group');
      return ok(openDeviceFd(s, group, a.dev, a.ctx));
    },
  },
});

export const bugUnuseUnderflow = defineVariant({
  name: 'bug-unuse-underflow',
  kind: 'seeded',
  description:
    'pci_dma_configure forgets iommu_device_use_default_domain and iommu_device_unuse_default_domain lost its WARN_ON guard: owner_cnt goes negative.',
  source: 'seeded bug',
  breaks: ['TypeOK'],
  overrides: {
    iommu_device_use_default_domain: (_env, s) => ok(s),
    iommu_device_unuse_default_domain: (env, s, { dev }) => {
      const group = groupOf(env.scenario, dev);
      return ok(updateGroup(s, group, { owner_cnt: s.groups[group]!.owner_cnt - 1 }));
    },
  },
});

export const bugContainerReleaseOnAnyDetach = defineVariant({
  name: 'bug-container-release-on-any-detach',
  kind: 'seeded',
  description:
    'vfio_group_detach_container releases the container\'s type1 backend when any group leaves, not only the last one: the groups still on the container keep walking its freed domain.',
  source: 'seeded bug (drivers/vfio/container.c: "Detaching the last group deprivileges a container")',
  breaks: ['I17', 'I19'],
  showcase: 'vfio-container-two-groups',
  overrides: {
    vfio_group_detach_container(env, s, a) {
      const ctx = s.vfio_groups[a.group]!.opened_by;
      const r = currentKernel.vfio_group_detach_container(env, s, a);
      return r.ok && ctx !== null ? ok(updateContainer(r.next, ctx, { iommu_set: false })) : r;
    },
  },
});

export const bugIommufdReplaceEveryGroup = defineVariant({
  name: 'bug-iommufd-replace-every-group',
  kind: 'seeded',
  description:
    "iommufd_device_replace moves every device of the context on the old hwpt, in every IOMMU group, but replaces the domain of the caller's group only.",
  source: 'seeded bug (drivers/iommu/iommufd/device.c: the move walks igroup->device_list, one group)',
  breaks: ['I10'],
  showcase: 'iommufd-two-groups-one-hwpt',
  crossesGroups: true,
  overrides: {
    iommufd_device_replace(env, s, a) {
      const old = s.devices[a.dev]?.iommufd?.hwpt ?? null;
      const r = currentKernel.iommufd_device_replace(env, s, a);
      if (!r.ok || old === null || old === a.hwpt) return r;
      const devices = r.next.devices.map((d) => (d.iommufd && d.iommufd.ctx === a.ctx && d.iommufd.hwpt === old ? patchDevice(d, { iommufd: { ctx: a.ctx, hwpt: a.hwpt } }) : d));
      return ok({ ...r.next, devices });
    },
  },
});

export const bugSriovDisableSkipsRelease = defineVariant({
  name: 'bug-sriov-disable-skips-release',
  kind: 'seeded',
  description:
    'pci_disable_sriov removes the VFs without releasing their drivers first: no vfio_unregister_group_dev wait, no dma_cleanup, so a VF vanishes under the VM that holds it and its group keeps the counts.',
  source: 'seeded bug (drivers/pci/iov.c: pci_iov_remove_virtfn -> pci_stop_and_remove_bus_device releases the driver first)',
  breaks: ['TypeOK', 'I2', 'I3', 'I9', 'I10'],
  showcase: 'sriov-vf-to-vm-acs',
  overrides: {
    pci_disable_sriov(env, s, { dev }) {
      let cur = s;
      env.scenario.devices.forEach((d, vf) => {
        if (d.pf !== dev || !cur.devices[vf]?.present) return;
        cur = withGroupDevice(updateDevice(cur, vf, { present: false, driver: null, hw: null }), groupOf(env.scenario, vf), vf, false);
      });
      return ok(cur);
    },
  },
});

/** The seeded bugs, in registry order. */
export const SEEDED_VARIANTS = [
  bugDeviceClaimNoCount,
  bugReleaseKeepsBlocking,
  bugClaimIgnoresOwner,
  bugIommufdAnyHwpt,
  bugHotAddIgnoresOwner,
  bugDeviceFdBeforeClaim,
  bugUnuseUnderflow,
  bugContainerReleaseOnAnyDetach,
  bugIommufdReplaceEveryGroup,
  bugSriovDisableSkipsRelease,
] as const;
