/**
 * Closing the VFIO container fd (issue 16, domain lifetimes; drivers/vfio/container.c):
 * vfio_fops_release only notifies the backend (VFIO_IOMMU_CONTAINER_CLOSE) and drops the file's
 * kref (vfio_container_put). Every group on the container holds its own kref
 * (vfio_container_attach_group -> vfio_container_get), and the type1 domain is released only in
 * vfio_group_detach_container of the last group ("Detaching the last group deprivileges a
 * container"). So the close changes nothing the invariants see and is not a call of the model: the
 * container's domain `container:K` lives exactly while a group is on it. Built-in
 * vfio-container-two-groups.
 */
import { describe, expect, it } from 'vitest';
import { IOMMU_EVENT_TYPES } from '../../../src/machines/events.ts';
import { isLive } from '../../../src/invariants/facts.ts';
import { expectOk, model, run } from '../../helpers/model.ts';

const SCENARIO = 'vfio-container-two-groups';
const vfioPci = (dev: number) => ({ type: 'really_probe', dev, driver: 'vfio-pci' }) as const;
const open = (group: number) => ({ type: 'vfio_group_fops_open', ctx: 0, group }) as const;
const setContainer = (group: number) => ({ type: 'vfio_group_ioctl_set_container', ctx: 0, group }) as const;
const setIommu = { type: 'vfio_ioctl_set_iommu', ctx: 0 } as const;
const closeGroup = (group: number) => ({ type: 'vfio_group_fops_release', ctx: 0, group }) as const;

describe('the container fd close is not a call: the container lives while a group holds it', () => {
  it('the model has no vfio_fops_release event (the container file\'s own release changes no modelled state)', () => {
    expect(IOMMU_EVENT_TYPES).not.toContain('vfio_fops_release');
  });

  it('container:0 stays live while one group is on it, whatever the container fd does, and goes with the last group', () => {
    const m = model(SCENARIO);
    const s = run(m, [vfioPci(0), vfioPci(1), open(0), open(1), setContainer(0), setContainer(1), setIommu]);
    expect(s.groups.map((g) => g.domain)).toEqual(['container:0', 'container:0']);
    const oneLeft = expectOk(m, s, closeGroup(0));
    expect(isLive(oneLeft, 1, 'container:0')).toBe(true);
    expect(oneLeft.groups[1]!.domain).toBe('container:0');
    const none = expectOk(m, oneLeft, closeGroup(1));
    expect(none.containers[0]!.iommu_set).toBe(false);
    expect(none.groups.map((g) => g.domain)).toEqual(['default', 'default']);
  });
});
