/**
 * PRI and the page-request path (issue 15, step 6), for scenarios with PASID values
 * (src/machines/iopf.ts):
 * - pci_enable_pri: drivers/pci/ats.c (torvalds/linux @ 2e34673b, about v5.5);
 * - iommu_page_response, iopf_queue_flush_dev: drivers/iommu/io-pgfault.c;
 * - intel_drain_pasid_prq: intel-iommu's drain in its remove_dev_pasid
 *   (drivers/iommu/intel/svm.c; drivers/iommu/intel/prq.c in newer trees).
 * Facts and copies: docs/design/translation-path.md section 1, "PASID unbind and the page-request drain".
 */
import { err, errAfter, ok } from '../../kernel/errno.ts';
import { iopfOf, withIopf } from '../iopf.ts';
import { groupOf, warnOn } from '../state.ts';
import type { Kernel } from './kernel.ts';

type IopfFns = Pick<Kernel, 'pci_enable_pri' | 'iommu_page_response' | 'iopf_queue_flush_dev' | 'intel_drain_pasid_prq'>;

export const ioPgfault: IopfFns = {
  /**
   * pci_enable_pri (ats.c): a VF shares its PF's PRI: 0 when the PF has PRI enabled, else -EINVAL;
   * WARN_ON(pri_enabled) -> -EBUSY; no PRI capability -> -EINVAL; PRI status not STOPPED (page
   * requests still outstanding) -> -EBUSY; else pri_enabled = 1. No trust or ACS check here.
   * Simplification: the VF is recorded as PRI-enabled when its PF is (its requests go through the
   * shared capability); the outstanding-request quota (`reqs`) is not modelled.
   */
  pci_enable_pri(env, s, { dev }) {
    const g = groupOf(env.scenario, dev);
    const iopf = iopfOf(s, g);
    const spec = env.scenario.devices[dev];
    if (!iopf || !spec) return err('EINVAL', 'the scenario models no PRI (no device has `pasids` or `pri`)');
    const add = (list: readonly number[]) => [...list, dev].sort((a, b) => a - b);
    if (spec.pf !== undefined) {
      const pfOn = iopfOf(s, groupOf(env.scenario, spec.pf))?.pri.includes(spec.pf) ?? false;
      if (!pfOn) return err('EINVAL', 'a VF shares its PF\'s PRI, and the PF has PRI disabled');
      return ok(iopf.pri.includes(dev) ? s : withIopf(s, g, { ...iopf, pri: add(iopf.pri) }));
    }
    if (iopf.pri.includes(dev)) return errAfter('EBUSY', 'WARN_ON(pdev->pri_enabled)', warnOn(s, 'pci_enable_pri: WARN_ON(pdev->pri_enabled)'));
    if (spec.pri !== true) return err('EINVAL', 'no PRI capability (pdev->pri_cap == 0)');
    if (iopf.prq.some((e) => e.dev === dev)) return err('EBUSY', 'PRI status is not STOPPED: page requests are outstanding');
    return ok(withIopf(s, g, { ...iopf, pri: add(iopf.pri) }));
  },

  /**
   * The iopf workqueue handles dev's queued fault for `pasid` (iopf_handler -> the handler of the
   * domain attached to the PASID, iommu_sva_handle_iopf for SVA) and answers it
   * (iommu_page_response / iopf_group_response -> ops->page_response): SUCCESS in the domain
   * currently attached to the PASID, IOMMU_PAGE_RESP_INVALID when none is. The request leaves the
   * queue. Which domain handled it is what PASID-REUSE judges (src/invariants/pasidReuse.ts).
   */
  iommu_page_response(env, s, { dev, pasid }) {
    const g = groupOf(env.scenario, dev);
    const iopf = iopfOf(s, g);
    if (!iopf?.prq.some((e) => e.dev === dev && e.pasid === pasid)) return err('EINVAL', `no page request of this device for PASID ${pasid} is queued`);
    return ok(withIopf(s, g, { ...iopf, prq: iopf.prq.filter((e) => e.dev !== dev || e.pasid !== pasid) }));
  },

  /**
   * iopf_queue_flush_dev (io-pgfault.c): flush_workqueue on the device's iopf queue: every fault
   * of the device already queued is handled and answered (iommu_page_response) before it returns.
   */
  iopf_queue_flush_dev(env, s, { dev }) {
    let cur = s;
    for (const e of iopfOf(s, groupOf(env.scenario, dev))?.prq ?? []) {
      if (e.dev !== dev) continue;
      const r = env.k.iommu_page_response(env, cur, { dev, pasid: e.pasid });
      if (r.ok) cur = r.next;
    }
    return ok(cur);
  },

  /**
   * intel_drain_pasid_prq (intel-iommu, called from its remove_dev_pasid when a PASID is detached):
   * waits until the hardware page-request queue holds no request of (dev, pasid), then
   * iopf_queue_flush_dev(dev). In the model the hardware queue and the iopf queue are one list.
   */
  intel_drain_pasid_prq(env, s, { dev }) {
    return env.k.iopf_queue_flush_dev(env, s, { dev });
  },
};
