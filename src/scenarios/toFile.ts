/**
 * A scenario written back in the scenario-file form (the device-list form with `topology:`), so
 * that any built-in scenario can be copied, edited and checked with `--scenario-file`.
 */
import type { Scenario } from '../machines/scenario.ts';

/** The scenario-file object of `s` (JSON/YAML-ready); hardware facts are left to the topology. */
export function scenarioToFile(s: Scenario): Record<string, unknown> {
  return {
    name: s.name,
    description: s.description,
    ...(s.topology ? { topology: s.topology, grouping: s.grouping ?? 'mainline' } : {}),
    devices: s.devices.map((d) => ({
      name: d.name,
      drivers: d.drivers,
      present: d.present,
      pasid: d.pasid,
      requireDirect: d.requireDirect,
      ...(d.directRelaxable ? { directRelaxable: true } : {}),
      ...(d.reservedIova !== undefined ? { reservedIova: d.reservedIova } : {}), // issue 16, helper G
      ...(d.pf !== undefined ? { pf: s.devices[d.pf]!.name } : {}),
      ...(d.untrusted ? { untrusted: true } : {}),
      ...(d.subPage ? { subPage: true } : {}),
      ...(d.ats ? { ats: true } : {}),
      ...(d.pasids !== undefined ? { pasids: d.pasids } : {}),
      ...(d.pri ? { pri: true } : {}),
      ...(d.resettable ? { resettable: true } : {}),
      ...(d.dmaAlias !== undefined ? { dmaAlias: s.devices[d.dmaAlias]!.name } : {}),
      ...(d.msi ? { msi: true } : {}),
      ...(d.barMmap ? { barMmap: true } : {}),
      ...(d.barDmabuf ? { barDmabuf: true } : {}),
      ...(d.noSnoop ? { noSnoop: true } : {}),
      ...(d.enforceCoherency !== undefined ? { enforceCoherency: d.enforceCoherency } : {}),
      ...(d.hotReset ? { hotReset: true } : {}), // VFIO hot reset (issue 16, Deliver 2)
      ...(s.topology ? {} : { pasidAcsPath: d.pasidAcsPath }),
    })),
    contexts: s.contexts.map((c) => ({ name: c.name, paths: c.paths, hwpts: c.hwpts, ...(c.devices ? { devices: c.devices.map((i) => s.devices[i]!.name) } : {}), ...(c.mapDma ? { mapDma: true } : {}), ...(c.hwptLifetime ? { hwptLifetime: true } : {}), ...(c.viommu ? { viommu: true } : {}), ...(c.faultHwpts ? { faultHwpts: true } : {}), ...(c.expectRefused ? { expectRefused: true } : {}) })),
    hotplug: s.hotplug,
    ...(s.invalidation ? { invalidation: s.invalidation } : {}),
    ...(s.platform ? { platform: s.platform } : {}),
    ...(s.devices.some((d) => d.dma) ? { dma: s.devices.filter((d) => d.dma).map((d) => d.name) } : {}),
    ...(s.iovaPages !== undefined ? { iovaPages: s.iovaPages } : {}),
    ...(s.groupTypeWrites ? { groupTypeWrites: true } : {}),
    ...(s.topology ? {} : { p2p: s.p2p.map(([a, b]) => [a, b]) }),
    ...(s.symmetry ? { symmetry: s.symmetry } : {}),
    ...(s.variants ? { variants: s.variants } : {}),
  };
}
