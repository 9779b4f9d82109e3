/**
 * The events of the model: one per kernel entry point an actor calls, named verbatim after the
 * kernel function (snake_case, no dots), with the device/context it is called on.
 *
 * Actors: the driver core (bind/unbind), PCI hot-plug, the bound kernel driver of a device
 * (private domains, SVA), and each user context (VFIO group path, VFIO cdev + iommufd path).
 * Each event runs atomically, as under group->mutex; actors interleave freely between calls.
 */
import { privateDomain } from '../kernel/domains.ts';
import type { DriverName } from '../kernel/drivers.ts';
import { ok, type KernelResult } from '../kernel/errno.ts';
import type { Env } from './semantics/kernel.ts';
import type { SystemState } from './state.ts';
import { groupOf, updateDevice } from './state.ts';

type Dev = { dev: number };
type Ctx = { ctx: number };
/** The IOMMU group whose VFIO group file the call acts on. */
type Grp = { group: number };

/** The event union: the kernel calls actors make. */
export type IommuEvent =
  | ({ type: 'really_probe'; driver: DriverName } & Dev)
  | ({ type: 'device_release_driver' } & Dev)
  | ({ type: 'iommu_probe_device' } & Dev)
  | ({ type: 'iommu_release_device' } & Dev)
  | ({ type: 'iommu_attach_device' } & Dev)
  | ({ type: 'iommu_detach_device' } & Dev)
  | ({ type: 'iommu_attach_group' } & Dev)
  | ({ type: 'iommu_detach_group' } & Dev)
  | ({ type: 'iommu_sva_bind_device' } & Dev)
  | ({ type: 'iommu_sva_unbind_device' } & Dev)
  | ({ type: 'pci_enable_sriov' } & Dev)
  | ({ type: 'pci_disable_sriov' } & Dev)
  | ({ type: 'vfio_group_fops_open' } & Ctx & Grp)
  | ({ type: 'vfio_group_ioctl_set_container' } & Ctx & Grp)
  | ({ type: 'vfio_ioctl_set_iommu' } & Ctx)
  | ({ type: 'vfio_group_ioctl_get_device_fd' } & Ctx & Dev)
  | ({ type: 'vfio_device_fops_release' } & Ctx & Dev)
  | ({ type: 'vfio_group_fops_release' } & Ctx & Grp)
  | ({ type: 'vfio_df_ioctl_bind_iommufd' } & Ctx & Dev)
  | ({ type: 'vfio_df_ioctl_attach_pt'; hwpt: number } & Ctx & Dev)
  | ({ type: 'vfio_df_ioctl_detach_pt' } & Ctx & Dev)
  | ({ type: 'vfio_df_unbind_iommufd' } & Ctx & Dev);

export type IommuEventType = IommuEvent['type'];

type Handler<E> = (env: Env, s: SystemState, e: E) => KernelResult<SystemState>;
type Handlers = { [T in IommuEventType]: Handler<Extract<IommuEvent, { type: T }>> };

/**
 * What each event does: the kernel entry point, plus, for a kernel driver's own calls, the
 * driver's side of it (allocating and freeing its private domain, which the core does not own).
 */
const handlers: Handlers = {
  really_probe: (env, s, e) => env.k.really_probe(env, s, { dev: e.dev, driver: e.driver }),
  device_release_driver: (env, s, e) => env.k.device_release_driver(env, s, e),
  iommu_probe_device: (env, s, e) => env.k.iommu_probe_device(env, s, e),
  iommu_release_device: (env, s, e) => env.k.iommu_release_device(env, s, e),
  // The driver: domain = iommu_domain_alloc(); if (iommu_attach_device(domain, dev)) iommu_domain_free(domain);
  iommu_attach_device: (env, s, { dev }) => {
    const r = env.k.iommu_attach_device(env, s, { dev, domain: privateDomain(dev) });
    return r.ok ? ok(updateDevice(r.next, dev, { private_domain: true })) : r;
  },
  // The driver: iommu_detach_device(domain, dev); iommu_domain_free(domain); (detach returns void)
  iommu_detach_device: (env, s, { dev }) => {
    const domain = privateDomain(dev);
    const r = env.k.iommu_detach_device(env, s, { dev, domain });
    return r.ok ? env.k.iommu_domain_free(env, r.next, { domain }) : r;
  },
  iommu_attach_group: (env, s, { dev }) => {
    const r = env.k.iommu_attach_group(env, s, { group: groupOf(env.scenario, dev), domain: privateDomain(dev) });
    return r.ok ? ok(updateDevice(r.next, dev, { private_domain: true })) : r;
  },
  iommu_detach_group: (env, s, { dev }) => {
    const domain = privateDomain(dev);
    const r = env.k.iommu_detach_group(env, s, { group: groupOf(env.scenario, dev), domain });
    return r.ok ? env.k.iommu_domain_free(env, r.next, { domain }) : r;
  },
  iommu_sva_bind_device: (env, s, e) => env.k.iommu_sva_bind_device(env, s, e),
  iommu_sva_unbind_device: (env, s, e) => env.k.iommu_sva_unbind_device(env, s, e),
  // The PF driver's sriov_configure(n) / sriov_configure(0).
  pci_enable_sriov: (env, s, e) => env.k.pci_enable_sriov(env, s, e),
  pci_disable_sriov: (env, s, e) => env.k.pci_disable_sriov(env, s, e),
  vfio_group_fops_open: (env, s, e) => env.k.vfio_group_fops_open(env, s, e),
  vfio_group_ioctl_set_container: (env, s, e) => env.k.vfio_group_ioctl_set_container(env, s, e),
  vfio_ioctl_set_iommu: (env, s, e) => env.k.vfio_ioctl_set_iommu(env, s, e),
  vfio_group_ioctl_get_device_fd: (env, s, e) => env.k.vfio_group_ioctl_get_device_fd(env, s, e),
  vfio_device_fops_release: (env, s, e) => env.k.vfio_device_fops_release(env, s, e),
  vfio_group_fops_release: (env, s, e) => env.k.vfio_group_fops_release(env, s, e),
  vfio_df_ioctl_bind_iommufd: (env, s, e) => env.k.vfio_df_ioctl_bind_iommufd(env, s, e),
  vfio_df_ioctl_attach_pt: (env, s, e) => env.k.vfio_df_ioctl_attach_pt(env, s, e),
  vfio_df_ioctl_detach_pt: (env, s, e) => env.k.vfio_df_ioctl_detach_pt(env, s, e),
  vfio_df_unbind_iommufd: (env, s, e) => env.k.vfio_df_unbind_iommufd(env, s, e),
};

/** Every event type, in the order of the handler table (the order the docs list them). */
export const IOMMU_EVENT_TYPES = Object.keys(handlers) as IommuEventType[];

/** Runs one event: the kernel call's result ({ok, next} or {ok:false, errno, reason[, after]}). */
export function applyEvent(env: Env, s: SystemState, e: IommuEvent): KernelResult<SystemState> {
  const h = handlers[e.type] as Handler<IommuEvent>;
  return h(env, s, e);
}

/** The state after an event: the next state, the state a failing error path left, or null. */
export function successor(r: KernelResult<SystemState>): SystemState | null {
  return r.ok ? r.next : (r.after ?? null);
}

/** Which actor makes the call: used for traces and sequence diagrams. */
export function actorOf(e: IommuEvent): string {
  if ('ctx' in e) return `ctx${e.ctx}`;
  switch (e.type) {
    case 'really_probe':
    case 'device_release_driver':
      return 'driver_core';
    case 'iommu_probe_device':
    case 'iommu_release_device':
      return 'hotplug';
    default:
      return `driver${e.dev}`;
  }
}

/** The event's arguments in a fixed order, for keys and traces. */
export function eventArgs(e: IommuEvent): [string, string | number][] {
  const out: [string, string | number][] = [];
  if ('ctx' in e) out.push(['ctx', e.ctx]);
  if ('group' in e) out.push(['group', e.group]);
  if ('dev' in e) out.push(['dev', e.dev]);
  if ('driver' in e) out.push(['driver', e.driver]);
  if ('hwpt' in e) out.push(['hwpt', e.hwpt]);
  return out;
}

/** A canonical one-line key of an event: `really_probe(dev=0,driver=e1000e)`. */
export const eventKey = (e: IommuEvent): string => `${e.type}(${eventArgs(e).map(([k, v]) => `${k}=${v}`).join(',')})`;
