/**
 * DMABUF export of a BAR (issue 16, Deliver 6, the P2P-through-the-IOMMU part):
 * drivers/vfio/pci/vfio_pci_dmabuf.c, read at gregkh/linux 2519003dd5fb (stored id 52916516239),
 * and the importer side in drivers/iommu/iommufd/pages.c (iopt_revoke_notify, from patch hunks).
 *
 * The user exports a BAR of a device it holds (VFIO_DEVICE_FEATURE_DMA_BUF) and maps the DMABUF
 * into its IOAS (IOMMU_IOAS_MAP_FILE): the IOMMU then translates IOVAs of the context's hwpts to
 * the BAR, so devices attached to them reach it peer-to-peer through the IOMMU. vfio-pci revokes
 * every export of the device (vfio_pci_dma_buf_move(vdev, true)) wherever it zaps the BAR mmaps:
 * memory decode cleared, VFIO_DEVICE_RESET, the device closed (vfio_pci_dma_buf_cleanup).
 *
 * Simplifications: the export and IOMMU_IOAS_MAP_FILE are one call; one export per device; the
 * mapping is in the IOAS every hwpt of the context uses; on an un-revoke iommufd maps nothing again
 * (iopt_revoke_notify sets `pages->dmabuf.phys.len = 0`, after which the pages fill nothing [I: from
 * an annotated copy of pages.c, not the upstream file]); the user must unmap and map a new export.
 */
import { err, ok } from '../../kernel/errno.ts';
import { deviceFdHolder, updateDevice } from '../state.ts';
import type { Kernel } from './kernel.ts';

type VfioPciDmabufFns = Pick<Kernel, 'vfio_pci_core_feature_dma_buf' | 'vfio_pci_dma_buf_move'>;

export const vfioPciDmabuf: VfioPciDmabufFns = {
  /**
   * vfio_pci_core_feature_dma_buf (vfio_pci_dmabuf.c), then IOMMU_IOAS_MAP_FILE on the DMABUF fd:
   * the export takes memory_lock for write and sets `priv->revoked = !__vfio_pci_memory_enabled
   * (vdev)`; iommufd attaches (vfio_pci_dma_buf_attach: `-ENODEV` if revoked) and asks for the
   * physical range (vfio_pci_dma_buf_iommufd_map: `if (priv->revoked) return -ENODEV;`), then maps
   * it into the IOAS's domains. Not offered while memory_lock is held for write.
   */
  vfio_pci_core_feature_dma_buf(env, s, { ctx, dev }) {
    if (deviceFdHolder(s, dev) !== ctx) return err('EINVAL', `context ${env.scenario.contexts[ctx]?.name ?? ctx} holds no device fd of ${env.scenario.devices[dev]?.name ?? dev}`);
    if (!env.scenario.contexts[ctx]?.paths.includes('iommufd')) return err('EOPNOTSUPP', 'IOMMU_IOAS_MAP_FILE: the context has no iommufd to map the DMABUF into');
    const r = env.k.__vfio_pci_memory_enabled(env, s, { dev });
    if (!r.ok) return err('ENODEV', `vfio_pci_dma_buf_iommufd_map: the export is revoked from the start (${r.reason})`);
    return ok(updateDevice(s, dev, { dma_buf: 'mapped' }));
  },

  /**
   * vfio_pci_dma_buf_move (vfio_pci_dmabuf.c; `lockdep_assert_held_write(&vdev->memory_lock)`): for
   * every export whose `revoked` differs, `dma_buf_invalidate_mappings` under the reservation lock
   * and wait; the importer's callback, iommufd's iopt_revoke_notify, unmaps every area of the pages
   * from every domain (`iopt_area_unmap_domain_range`) and sets `phys.len = 0`. Un-revoking only
   * clears `priv->revoked`: the IOAS mapping stays gone.
   */
  vfio_pci_dma_buf_move(_env, s, { dev, revoked }) {
    return ok(revoked && s.devices[dev]?.dma_buf === 'mapped' ? updateDevice(s, dev, { dma_buf: 'revoked' }) : s);
  },
};
