/**
 * Staged PCI resets (issue 16): the PCI core's reset methods and the requester IDs DMA-alias
 * siblings share. The IOMMU side (pci_dev_reset_iommu_prepare / _done, the recovery_cnt fence)
 * is in the rule table (src/machines/semantics/pciReset.ts); this file holds what the PCI core
 * and the hardware add around it, for the events, the enumerator and the invariant.
 *
 * Kernel facts: drivers/pci/pci.c, pci-acpi.c, quirks.c ("PCI: Suspend iommu function prior to
 * resetting a device", v8 5/5): every reset method calls pci_dev_reset_iommu_prepare before it
 * touches the device, returns the error if that fails (pci_err "failed to stop IOMMU for a PCI
 * reset"), and calls pci_dev_reset_iommu_done after it, whatever the reset's outcome.
 */
import { ok, type KernelResult } from '../kernel/errno.ts';
import type { IommuEvent } from './events.ts';
import type { Scenario } from './scenario.ts';
import type { Env } from './semantics/kernel.ts';
import { groupOf, updateDevice, type DeviceState, type SystemState } from './state.ts';

/** Staged resets (issue 16): the per-device reset fields of DeviceState. */
export interface ResetDeviceFields {
  /**
   * group_device->blocked (b296ca1fb43a): the device's RID (and its DMA-alias siblings', which
   * share the IOMMU context entry) is parked on the blocking domain for a reset, while
   * group->domain is retained. This and the next two fields exist only in scenarios with a
   * `resettable` device (src/machines/reset.ts).
   */
  readonly blocked?: boolean;
  /** group_device->reset_depth (0d5fd7a9323c): nesting of pci_dev_reset_iommu_prepare on the device. */
  readonly reset_depth?: number;
  /**
   * Reset methods running on the device (the PCI core's side, drivers/pci/pci.c: each began after
   * its pci_dev_reset_iommu_prepare succeeded and ends with pci_dev_reset_iommu_done): while > 0
   * the device itself is in reset, whatever the IOMMU core believes.
   */
  readonly resetting?: number;
}

/** Reset methods that may nest on one device: cxl_reset_bus_function around pci_reset_bus_function. */
export const RESET_NESTING = 2;

/**
 * The device slots of `dev`'s group that share a requester ID with it: one names the other in
 * `dmaAlias`, or both name the same third slot. Symmetric; `dev` itself is not included.
 */
export function dmaAliasSiblings(scenario: Scenario, dev: number): number[] {
  const a = scenario.devices[dev]?.dmaAlias;
  return scenario.devices.flatMap((spec, j) => {
    if (j === dev || groupOf(scenario, j) !== groupOf(scenario, dev)) return [];
    const shares = spec.dmaAlias === dev || a === j || (a !== undefined && spec.dmaAlias === a);
    return shares ? [j] : [];
  });
}

/** Device slot `i` is parked for a reset: it, or a DMA-alias sibling sharing its requester ID, is blocked. */
export function parkedForReset(s: SystemState, scenario: Scenario, i: number): boolean {
  if (s.devices[i]?.blocked === true) return true;
  return dmaAliasSiblings(scenario, i).some((j) => s.devices[j]?.present === true && s.devices[j]?.blocked === true);
}

/**
 * The hardware side of __iommu_attach_device(domain, dev): the IOMMU driver programs every
 * requester ID pci_for_each_dma_alias yields for `dev`, so the present DMA-alias siblings' RIDs
 * (DeviceState.hw of their slots) get the same domain.
 */
export function programRids(scenario: Scenario, s: SystemState, dev: number, domain: string): SystemState {
  let cur = updateDevice(s, dev, { hw: domain });
  for (const j of dmaAliasSiblings(scenario, dev)) if (cur.devices[j]?.present) cur = updateDevice(cur, j, { hw: domain });
  return cur;
}

/** A reset method begins (pcie_flr, ...): pci_dev_reset_iommu_prepare; on its error the method returns it and the device is not reset. */
export function resetMethodBegins(env: Env, s: SystemState, dev: number): KernelResult<SystemState> {
  const r = env.k.pci_dev_reset_iommu_prepare(env, s, { dev });
  if (!r.ok) return r;
  return ok(updateDevice(r.next, dev, { resetting: (r.next.devices[dev]?.resetting ?? 0) + 1 }));
}

/** The reset method's device reset is over: pci_dev_reset_iommu_done (void), and the method returns. */
export function resetMethodEnds(env: Env, s: SystemState, dev: number): KernelResult<SystemState> {
  const r = env.k.pci_dev_reset_iommu_done(env, s, { dev });
  if (!r.ok) return r;
  return ok(updateDevice(r.next, dev, { resetting: Math.max(0, (r.next.devices[dev]?.resetting ?? 0) - 1) }));
}

/** The reset calls offered on a present resettable device: a (nested) reset method begins, or the innermost one ends. */
export function resetEvents(d: DeviceState, dev: number, out: IommuEvent[]): void {
  const n = d.resetting ?? 0;
  if (n < RESET_NESTING) out.push({ type: 'pci_dev_reset_iommu_prepare', dev });
  if (n > 0) out.push({ type: 'pci_dev_reset_iommu_done', dev });
}
