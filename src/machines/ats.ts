/**
 * ATS (Address Translation Services, PCIe r6.0 chapter 10) in the translation path (issue 15,
 * step 4): per ATS-capable device its enable bit (pci_dev->ats_enabled, drivers/pci/ats.c) and
 * its ATC (the device's own cache of Translation Completions), plus the ports on which the kernel
 * set ACS Translation Blocking (pci_std_enable_acs, drivers/pci/pci.c). Kept in the group's
 * translation state (GroupTranslation.ats), present only when a DMA actor of the group has
 * `ats: true`, so scenarios without ATS carry nothing extra.
 */
import type { DomainName } from '../kernel/domains.ts';
import type { Translation } from './ioPagetable.ts';

/** One ATC entry: (device, IOVA page) -> the translation the IOMMU answered with. */
export interface AtcEntry extends Translation {
  readonly dev: number;
  readonly iova: number;
  /** The domain that answered (an ATC entry carries no domain tag; kept to invalidate by domain). */
  readonly domain: DomainName;
}

/** A group's ATS state. */
export interface AtsState {
  /** Device slots with pci_dev->ats_enabled set (ascending). */
  readonly enabled: readonly number[];
  /** Every ATC entry of the group's devices, sorted by (dev, iova). */
  readonly atc: readonly AtcEntry[];
  /** Ports (bdf) whose ACS Control has Translation Blocking set by pci_std_enable_acs (ascending). */
  readonly tbPorts: readonly string[];
}

/** The ATS state a group starts with: ATS off, empty ATCs, no port set up yet. */
export const EMPTY_ATS: AtsState = Object.freeze({ enabled: [], atc: [], tbPorts: [] });

/** The ATC entry of `dev` for `iova`, or undefined. */
export const atcLookup = (ats: AtsState, dev: number, iova: number): AtcEntry | undefined => ats.atc.find((e) => e.dev === dev && e.iova === iova);

/** The ATS state after dev's ATC cached `t` for `iova` (a Translation Completion). */
export function atcFill(ats: AtsState, dev: number, iova: number, domain: DomainName, t: Translation): AtsState {
  const rest = ats.atc.filter((e) => e.dev !== dev || e.iova !== iova);
  const atc = [...rest, { dev, iova, domain, phys: t.phys, stale: t.stale }].sort((a, b) => a.dev - b.dev || a.iova - b.iova);
  return { ...ats, atc };
}

/**
 * The ATS state after an ATS Invalidate Request: the entries of the devices `devs` for `domain`
 * and `iova` (null: every IOVA of the domain) go.
 */
export function atcInvalidate(ats: AtsState, devs: readonly number[], domain: DomainName, iova: number | null): AtsState {
  const atc = ats.atc.filter((e) => !devs.includes(e.dev) || e.domain !== domain || (iova !== null && e.iova !== iova));
  return atc.length === ats.atc.length ? ats : { ...ats, atc };
}

/** `ats` with dev's enable bit set or cleared; clearing drops dev's ATC (pci_disable_ats: the device may cache nothing). */
export function withAtsEnabled(ats: AtsState, dev: number, on: boolean): AtsState {
  const enabled = on ? [...new Set([...ats.enabled, dev])].sort((a, b) => a - b) : ats.enabled.filter((d) => d !== dev);
  return { ...ats, enabled, atc: on ? ats.atc : ats.atc.filter((e) => e.dev !== dev) };
}
