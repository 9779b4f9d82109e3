/**
 * The kernel the model is pinned to. Facts checked against it are in docs/kernel-notes.md.
 */
export const KERNEL_PIN = {
  repo: 'gregkh/linux',
  /** drivers/iommu/iommu.c as read; the newest mainline copy available to the project. */
  commit: '17194cd0dd236e732d116d50840d795ca50ef196',
  /**
   * No Makefile is stored at that commit, so the release is read from the code: kzalloc_obj and
   * pci_dev_reset_iommu_* are there, so it is about v7.0-rc.
   */
  version: '~v7.0-rc',
} as const;
