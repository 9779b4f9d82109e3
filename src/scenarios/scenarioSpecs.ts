/**
 * The constructors of built-in scenario specs: a device slot and a user context with the
 * defaults every built-in scenario shares, and the all-pairs p2p relation.
 */
import type { DriverName } from '../kernel/drivers.ts';
import type { ContextSpec, DeviceSpec, UserPath } from '../machines/scenario.ts';

type DevOpts = Partial<Omit<DeviceSpec, 'name' | 'drivers'>>;

/** A device slot; present, no PASID, no direct regions unless said. */
export const dev = (name: string, drivers: DriverName[], o: DevOpts = {}): DeviceSpec => ({
  name,
  drivers,
  present: o.present ?? true,
  pasid: o.pasid ?? false,
  pasidAcsPath: o.pasidAcsPath ?? false,
  requireDirect: o.requireDirect ?? false,
  ...(o.directRelaxable ? { directRelaxable: true } : {}),
  ...(o.pf !== undefined ? { pf: o.pf } : {}),
  ...(o.dma ? { dma: true } : {}),
  ...(o.untrusted ? { untrusted: true } : {}),
  ...(o.subPage ? { subPage: true } : {}),
  ...(o.ats ? { ats: true } : {}),
  ...(o.pasids !== undefined ? { pasids: o.pasids } : {}),
  ...(o.pri ? { pri: true } : {}),
  ...(o.resettable ? { resettable: true } : {}),
  ...(o.dmaAlias !== undefined ? { dmaAlias: o.dmaAlias } : {}),
  ...(o.msi ? { msi: true } : {}),
  ...(o.barMmap ? { barMmap: true } : {}),
  ...(o.barDmabuf ? { barDmabuf: true } : {}),
  ...(o.noSnoop ? { noSnoop: true } : {}),
  ...(o.enforceCoherency !== undefined ? { enforceCoherency: o.enforceCoherency } : {}),
});

/** A user context; `devices` (slots) are the ones it may take, all when omitted. */
export const ctx = (name: string, paths: UserPath[], hwpts = 1, devices?: number[]): ContextSpec => ({ name, paths, hwpts, ...(devices ? { devices } : {}) });

/** Every ordered pair of distinct devices: a non-ACS switch or multifunction device. */
export const allPairs = (n: number): [number, number][] =>
  Array.from({ length: n }, (_, a) => Array.from({ length: n }, (_, b) => [a, b] as [number, number])).flat().filter(([a, b]) => a !== b);
