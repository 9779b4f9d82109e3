/**
 * The SVA driver's drain of a PASID's work before iommu_sva_unbind_device (issue 15, Deliver 5;
 * src/machines/svaWork.ts). The contract of iommu_sva_unbind_device (drivers/iommu/iommu-sva.c):
 * "The device should not be issuing any more transaction for this PASID. All outstanding page
 * requests for this PASID must have been flushed to the IOMMU." idxd keeps it in
 * idxd_cdev_release (drivers/dma/idxd/cdev.c): idxd_device_drain_pasid (drivers/dma/idxd/device.c:
 * the Drain PASID command, which waits for every descriptor of the PASID) before the unbind.
 * Facts: docs/kernel-notes.md section 10.6.
 */
import { ok } from '../../kernel/errno.ts';
import { drainWork } from '../svaWork.ts';
import { groupOf } from '../state.ts';
import type { Kernel } from './kernel.ts';

type SvaWorkFns = Pick<Kernel, 'idxd_device_drain_pasid'>;

export const svaWorkDrain: SvaWorkFns = {
  /**
   * idxd_device_drain_pasid (idxd): the device finishes or aborts every piece of work submitted
   * under `pasid` before it returns; afterwards the device issues no DMA with the PASID.
   */
  idxd_device_drain_pasid(env, s, { dev, pasid }) {
    return ok(drainWork(s, groupOf(env.scenario, dev), dev, pasid));
  },
};
