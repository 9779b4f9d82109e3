/**
 * Kernel error numbers and the result type every modelled kernel function returns.
 *
 * The numeric values are the Linux generic ones (include/uapi/asm-generic/errno-base.h,
 * include/linux/errno.h for EPROBE_DEFER); they appear only in traces.
 */

/** The errno values the modelled kernel functions can return. */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EBADFD: 77,
  ENOMEM: 12,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  EOPNOTSUPP: 95,
  EOVERFLOW: 75,
  ENXIO: 6,
  EPROBE_DEFER: 517,
  // BAR access (issue 16, src/machines/semantics/vfioPciCore.ts): vfio_pci_core_ioread/iowrite's -EIO, the
  // fault handler's VM_FAULT_SIGBUS as the user sees it (-EFAULT), pci_try_reset_function's trylock (-EAGAIN).
  EIO: 5,
  EFAULT: 14,
  EAGAIN: 11,
  // Reserved regions in user IOVA spaces (issue 16, helper G): iopt_reserve_iova's -EADDRINUSE (ioPagetableResv.ts).
  EADDRINUSE: 98,
  // Closing the iommufd (issue 16, helper F): a call on a closed fd, iommufd_ctx_from_fd's fget failure (iommufdHwpt.ts).
  EBADF: 9,
} as const;

export type Errno = keyof typeof ERRNO;

/** A successful kernel call: the state after it. */
export interface KernelOk<T> {
  readonly ok: true;
  readonly next: T;
}

/** A failed kernel call: the errno it returns and why, in kernel words. */
export interface KernelErr<T = never> {
  readonly ok: false;
  readonly errno: Errno;
  readonly reason: string;
  /**
   * The state after the call when its error path changed something (a leak, a partial effect).
   * Absent for the normal case: a failed call leaves the state as it was.
   */
  readonly after?: T;
}

/** `{ ok, next } | { ok: false, errno, reason }`: the shape of every semantic function's result. */
export type KernelResult<T> = KernelOk<T> | KernelErr<T>;

/** Builds a successful result. */
export const ok = <T>(next: T): KernelOk<T> => ({ ok: true, next });

/** Builds a failed result. */
export const err = (errno: Errno, reason: string): KernelErr => ({ ok: false, errno, reason });

/** Builds a failed result whose error path left the state changed. */
export const errAfter = <T>(errno: Errno, reason: string, after: T): KernelErr<T> => ({
  ok: false,
  errno,
  reason,
  after,
});

/** Formats an errno the way the kernel prints a negative return: `-EPERM`. */
export const formatErrno = (e: Errno): string => `-${e}`;
