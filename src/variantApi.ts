/**
 * The public API for writing a design variant of your own: everything a variant file needs, in
 * one import. See docs/writing-variants.md for a worked example.
 *
 * A variant replaces one or more functions of the kernel rule table (`Kernel`). Each function is
 * pure: `(env, s, args) => KernelResult<SystemState>`. It returns `ok(next)` on success,
 * `err(errno, reason)` on failure, or `errAfter(errno, reason, after)` when the kernel's error
 * path leaves the state changed. Call other kernel functions through `env.k.<name>` (so that your
 * other overrides apply), and the unmodified rule through `currentKernel.<name>`.
 *
 * A variant file default-exports either the variant or a function that receives this module and
 * returns the variant (that form needs no import path at all):
 *
 * ```ts
 * import type { VariantApi } from 'iommu-mc/src/variantApi.ts'; // types only, optional
 * export default ({ defineVariant, currentKernel, ok, updateGroup }: VariantApi) => defineVariant({ ... });
 * ```
 *
 * `iommu-mc check --variant-file FILE.ts` checks it; `iommu-mc diff current FILE.ts` compares it.
 */
import * as domains from './kernel/domains.ts';
import * as errno from './kernel/errno.ts';
import { DRIVERS, isDriverName } from './kernel/drivers.ts';
import { currentKernel } from './machines/semantics/index.ts';
import * as state from './machines/state.ts';
import { defineVariant, kernelOf } from './machines/variants/defineVariant.ts';
import { VARIANTS, findVariant } from './machines/variants/index.ts';
import { INVARIANTS } from './invariants/index.ts';

export { defineVariant, kernelOf, type Variant } from './machines/variants/defineVariant.ts';
export { VARIANTS, findVariant } from './machines/variants/index.ts';
export type { Env, Kernel, KernelFn, KernelFnName, DevArg, CtxArg, CtxDevArg, GroupArg, CtxGroupArg, NoArg } from './machines/semantics/kernel.ts';
/** The current kernel's rule table: call `currentKernel.<fn>(env, s, a)` to run the unmodified rule. */
export { currentKernel } from './machines/semantics/index.ts';
export { ok, err, errAfter, ERRNO, type Errno, type KernelResult, type KernelOk, type KernelErr } from './kernel/errno.ts';
export {
  groupOf,
  presentDevices,
  updateDevice,
  updateGroup,
  updateVfioGroup,
  updateContainer,
  withGroupDevice,
  warnOn,
  ictxOwner,
  type SystemState,
  type GroupState,
  type DeviceState,
  type VfioGroupState,
  type Owner,
  type PasidEntry,
} from './machines/state.ts';
export {
  DEFAULT_DOMAIN,
  BLOCKING_DOMAIN,
  SVA_DOMAIN,
  SVA_PASID,
  containerDomain,
  hwptDomain,
  privateDomain,
  userOfDomain,
  type DomainName,
} from './kernel/domains.ts';
export { DRIVERS, isDriverName, type DriverName } from './kernel/drivers.ts';
export type { Scenario } from './machines/scenario.ts';

/** The names of every function of the rule table, in table order: the keys `overrides` may use. */
export const KERNEL_FUNCTIONS: readonly string[] = Object.keys(currentKernel);

/** The invariant ids a variant's `breaks` may list (TypeOK, WARN, I1, ...). */
export const INVARIANT_IDS: readonly string[] = INVARIANTS.map((i) => i.id);

/** Everything above as one object: what a factory-style variant file receives. */
export const variantApi = {
  defineVariant,
  kernelOf,
  currentKernel,
  VARIANTS,
  findVariant,
  ...errno,
  ...state,
  ...domains,
  DRIVERS,
  isDriverName,
  KERNEL_FUNCTIONS,
  INVARIANT_IDS,
} as const;

/** The type of the object a factory-style variant file (`export default (api) => ...`) receives. */
export type VariantApi = typeof variantApi;
