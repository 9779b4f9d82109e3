/**
 * The calls of a scenario with PASID values (issue 15, step 6), for src/machines/enumerate.ts:
 * the SVA driver binds one of SVA_PROCESSES processes, the IOMMU driver enables PRI, the device
 * sends a page request under the PASID of its bond (hardware), and the iopf workqueue answers
 * each queued request (iommu_page_response).
 */
import type { IommuEvent } from './events.ts';
import { boundPasid, iopfOf, SVA_PROCESSES } from './iopf.ts';
import type { Scenario } from './scenario.ts';
import { groupOf, type SystemState } from './state.ts';

/** The SVA driver's bind or unbind: with PASID values, a bind per process (`mm`); else the one process. */
export function svaEvents(s: SystemState, g: number, dev: number, out: IommuEvent[]): void {
  const d = s.devices[dev]!;
  if (d.sva || !s.groups[g]?.iopf) {
    out.push({ type: d.sva ? 'iommu_sva_unbind_device' : 'iommu_sva_bind_device', dev });
    return;
  }
  const exited = s.groups[g]!.iopf!.exited;
  for (let mm = 0; mm < SVA_PROCESSES; mm++) if (!exited.includes(mm)) out.push({ type: 'iommu_sva_bind_device', dev, mm });
}

/**
 * PRI and page requests of device `dev`: pci_enable_pri while PRI is off (a device with `pri`);
 * with PRI on and a bond, one page request for the bond's PASID unless one is queued already
 * (PRQ bound 1 per device and PASID); an iommu_page_response per queued request of the device.
 */
export function iopfEvents(scenario: Scenario, dev: number, s: SystemState, out: IommuEvent[]): void {
  const g = groupOf(scenario, dev);
  const iopf = iopfOf(s, g);
  if (!iopf) return;
  const on = iopf.pri.includes(dev);
  if (!on && scenario.devices[dev]!.pri === true) out.push({ type: 'pci_enable_pri', dev });
  const pasid = on ? boundPasid(s, g, dev) : null;
  if (pasid !== null && !iopf.prq.some((e) => e.dev === dev && e.pasid === pasid)) out.push({ type: 'page_request', dev, pasid });
  for (const e of iopf.prq) if (e.dev === dev) out.push({ type: 'iommu_page_response', dev, pasid: e.pasid });
}
