/**
 * What the four region files (iommuGroup, device, vfioGroup, iommufdDevice) share: the kernel
 * call type their guards run, and the builder of their guarded transitions.
 */
import type { IommuEvent } from './events.ts';
import type { SystemState } from './state.ts';

/** The state after a kernel call (the semantic successor), or null when the call changed nothing. */
export type KernelCall = (s: SystemState, e: IommuEvent) => SystemState | null;

/**
 * The transition helpers of one region: `to(mode, description)` moves to `mode` when the kernel
 * call's successor is in that mode (guard `guard` with `params(mode)`); the description names the
 * kernel call chain and files (docs/machines.md shows it). `fallback(from)` covers every other
 * mode change (variants only) and, in the region that applies the call, "mode unchanged".
 */
export function regionTransitions<M extends string, G extends string, P>(guard: G, modes: readonly M[], params: (mode: M) => P, apply: boolean) {
  const actions = apply ? (['applyKernelCall'] as const) : ([] as const);
  const edge = (mode: M, stay: boolean, description?: string) => ({
    ...(stay ? {} : { target: mode }),
    guard: { type: guard, params: params(mode) },
    actions,
    ...(description ? { description } : {}),
  });
  const to = (mode: M, description?: string) => edge(mode, false, description);
  const fallback = (from: M) => [...modes.filter((m) => m !== from).map((m) => edge(m, false)), ...(apply ? [edge(from, true)] : [])];
  return { to, fallback };
}
