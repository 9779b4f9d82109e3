/**
 * What the four region files (iommuGroup, device, vfioGroup, iommufdDevice) share: the kernel
 * call type their guards run, and the builder of their guarded transitions.
 */
import type { IommuEvent } from './events.ts';
import type { SystemState } from './state.ts';

/** The state after a kernel call (the semantic successor), or null when the call changed nothing. */
export type KernelCall = (s: SystemState, e: IommuEvent) => SystemState | null;

/**
 * The transition helpers of one region: `to(mode)` moves to `mode` when the kernel call's
 * successor is in that mode (guard `guard` with `params(mode)`); `fallback(from)` covers every
 * other mode change (variants only) and, in the region that applies the call, "mode unchanged".
 */
export function regionTransitions<M extends string, G extends string, P>(guard: G, modes: readonly M[], params: (mode: M) => P, apply: boolean) {
  const actions = apply ? (['applyKernelCall'] as const) : ([] as const);
  const to = (mode: M, stay = false) => ({
    ...(stay ? {} : { target: mode }),
    guard: { type: guard, params: params(mode) },
    actions,
  });
  const fallback = (from: M) => [...modes.filter((m) => m !== from).map((m) => to(m)), ...(apply ? [to(from, true)] : [])];
  return { to, fallback };
}
