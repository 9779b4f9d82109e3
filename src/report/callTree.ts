/**
 * Re-runs one kernel call with a recording rule table, so a trace can show the call chain
 * (really_probe -> pci_dma_configure -> iommu_device_use_default_domain = -EBUSY).
 */
import type { Errno } from '../kernel/errno.ts';
import { applyEvent, type IommuEvent } from '../machines/events.ts';
import type { Model } from '../machines/model.ts';
import type { Env, Kernel, KernelFnName } from '../machines/semantics/kernel.ts';
import type { SystemState } from '../machines/state.ts';

export interface CallRecord {
  fn: KernelFnName;
  depth: number;
  errno: Errno | null;
  reason: string | null;
}

/** The kernel functions one event ran, in call order with their depth and outcome. */
export function recordCalls(model: Model, s: SystemState, e: IommuEvent): CallRecord[] {
  const log: CallRecord[] = [];
  let depth = 0;
  const k = {} as Record<KernelFnName, unknown>;
  const env: Env = { scenario: model.env.scenario, k: k as unknown as Kernel };
  for (const name of Object.keys(model.env.k) as KernelFnName[]) {
    const orig = model.env.k[name] as (env: Env, s: SystemState, a: unknown) => ReturnType<Kernel[KernelFnName]>;
    k[name] = (_env: Env, st: SystemState, a: unknown) => {
      const rec: CallRecord = { fn: name, depth, errno: null, reason: null };
      log.push(rec);
      depth++;
      try {
        const r = orig(env, st, a);
        if (!r.ok) {
          rec.errno = r.errno;
          rec.reason = r.reason;
        }
        return r;
      } finally {
        depth--;
      }
    };
  }
  applyEvent(env, s, e);
  return log;
}
