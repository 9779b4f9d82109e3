/**
 * iommu_sva_bind_device / iommu_sva_unbind_device (drivers/iommu/iommu-sva.c) in a scenario with
 * PASID values (issue 15, step 6; docs/kernel-notes.md section 2 and 10.3): each process's
 * address space gets its PASID from the allocator (iommu_alloc_mm_data -> iommu_alloc_global_pasid)
 * and the last unbind detaches it (iommu_detach_device_pasid, whose driver half drains the page
 * requests: intel_drain_pasid_prq), after which the PASID is free for another process.
 * driverCore.ts calls these when the group carries `iopf`; the rule-table entries stay
 * iommu_sva_bind_device / iommu_sva_unbind_device, so a variant overrides both models at once.
 */
import { err, ok, type KernelResult } from '../../kernel/errno.ts';
import { bondOf, iopfOf, lowestFreePasid, maxPasidOf, pasidOfMm, svaDomainOf, withIopf } from '../iopf.ts';
import { groupOf, updateDevice, type SystemState } from '../state.ts';
import type { Env } from './kernel.ts';

/**
 * Bind: -ENODEV without a group; max_pasids == 0 -> -ENOSPC; the process already holds a PASID in
 * the group -> reuse it (-EOVERFLOW if it is beyond this device's range) and share the handle;
 * else the lowest free PASID (-ENOSPC when none) attached to the process's SVA domain with
 * iommu_attach_device_pasid. One bond per device (the model's simplification).
 */
export function svaBindWithPasid(env: Env, s: SystemState, dev: number, mm: number): KernelResult<SystemState> {
  const d = s.devices[dev];
  if (!d?.present) return err('ENODEV', 'the device has no IOMMU group');
  const g = groupOf(env.scenario, dev);
  const max = maxPasidOf(env.scenario, dev);
  if (max === 0) return err('ENOSPC', 'max_pasids == 0: no PASID can be allocated');
  const iopf = iopfOf(s, g)!;
  if (bondOf(iopf, dev)) return err('EBUSY', "the device's work queue is already bound (one bond per device in the model)");
  if (iopf.exited.includes(mm)) return err('EINVAL', `process ${mm} has exited (the model's processes bind once)`);
  let cur = s;
  const held = pasidOfMm(s, g, mm);
  if (held !== null && held > max) return err('EOVERFLOW', `process ${mm}'s PASID ${held} is beyond this device's max_pasids`);
  if (held === null) {
    const pasid = lowestFreePasid(s, g, max);
    if (pasid < 0) return err('ENOSPC', `no free PASID in [1, ${max}] (iommu_alloc_global_pasid)`);
    const r = env.k.iommu_attach_device_pasid(env, s, { dev, pasid, domain: svaDomainOf(mm) });
    if (!r.ok) return r;
    cur = r.next;
  }
  const now = iopfOf(cur, g)!;
  const bonds = [...now.bonds, { dev, mm }].sort((a, b) => a.dev - b.dev);
  return ok(updateDevice(withIopf(cur, g, { ...now, bonds }), dev, { sva: true }));
}

/**
 * Unbind: the driver's drain of the PASID's work first (idxd_device_drain_pasid); drop the
 * device's bond; when no other bond of the group holds the process's domain,
 * iommu_detach_device_pasid (which drains the PASID's page requests in the driver's
 * remove_dev_pasid), and the PASID is free again (mm_pasid_drop: the process exits, folded in).
 */
export function svaUnbindWithPasid(env: Env, s: SystemState, dev: number): KernelResult<SystemState> {
  const g = groupOf(env.scenario, dev);
  const iopf = iopfOf(s, g)!;
  const bond = bondOf(iopf, dev);
  if (!bond || !s.devices[dev]?.sva) return ok(s);
  // The caller's contract, folded in: the driver has stopped the device's DMA for the PASID
  // (idxd_cdev_release: idxd_device_drain_pasid, then iommu_sva_unbind_device; src/machines/svaWork.ts).
  const held = pasidOfMm(s, g, bond.mm);
  const drained = held === null ? ok(s) : env.k.idxd_device_drain_pasid(env, s, { dev, pasid: held });
  if (!drained.ok) return drained;
  const cur = iopfOf(drained.next, g)!;
  const next = updateDevice(withIopf(drained.next, g, { ...cur, bonds: cur.bonds.filter((b) => b.dev !== dev) }), dev, { sva: false });
  if (iopf.bonds.some((b) => b !== bond && b.mm === bond.mm)) return ok(next);
  const pasid = pasidOfMm(next, g, bond.mm);
  const r = pasid === null ? ok(next) : env.k.iommu_detach_device_pasid(env, next, { dev, pasid });
  if (!r.ok) return r;
  // The process exits (mm_pasid_drop frees its PASID): it never binds again.
  const after = iopfOf(r.next, g)!;
  return ok(withIopf(r.next, g, { ...after, exited: [...after.exited, bond.mm].sort((a, b) => a - b) }));
}
