/**
 * ACS helpers mirroring drivers/pci/pci.c (gregkh/linux @ 005b98de):
 * `pci_acs_flags_enabled()`, `pci_acs_enabled()` and `pci_acs_path_enabled()`,
 * plus what the hardware does with each bit when routing (used by routeMemoryRequest).
 */
import type { AcsBit, AcsRegs, PciDevice, Topology } from './types.ts';
import { ACS, REQ_ACS_FLAGS } from './types.ts';
import { pciDevSpecificAcsEnabled } from './acsQuirks.ts';
import { isPcie, onRootBus, upstreamBridge } from './pciTree.ts';

/**
 * How ACS is judged beyond the registers.
 * `acsOverride` models the out-of-tree `pcie_acs_override=downstream,multifunction`
 * patch (a flawed grouping: it trusts every port and multifunction device).
 * `assumeUnknown` says what an unreadable (`<access denied>`) ACS capability is taken to be.
 */
export interface AcsPolicy {
  readonly acsOverride: boolean;
  readonly assumeUnknown: 'absent' | 'enabled';
}

/** The kernel's own view: no override, unreadable ACS treated as absent. */
export const KERNEL_ACS_POLICY: AcsPolicy = { acsOverride: false, assumeUnknown: 'absent' };

/** The registers a device is taken to have under a policy (null: no ACS capability). */
export function effectiveAcsRegs(dev: PciDevice, policy: AcsPolicy = KERNEL_ACS_POLICY): AcsRegs | null {
  if (dev.acs !== 'unknown') return dev.acs;
  if (policy.assumeUnknown === 'absent') return null;
  // pci_std_enable_acs() turns on SV, RR, CR and UF where supported.
  return { cap: REQ_ACS_FLAGS, ctrl: REQ_ACS_FLAGS };
}

/**
 * Mirrors `pci_acs_flags_enabled()` (drivers/pci/pci.c): false without an ACS
 * capability; flags missing from the capability register count as hard-wired
 * enabled, except EC which is always required; the rest must be set in control.
 */
export function pciAcsFlagsEnabled(dev: PciDevice, flags: number, policy: AcsPolicy = KERNEL_ACS_POLICY): boolean {
  const regs = effectiveAcsRegs(dev, policy);
  if (!regs) return false;
  const required = flags & (regs.cap | ACS.EC);
  return (regs.ctrl & required) === required;
}

/**
 * Mirrors `pci_acs_enabled()` (drivers/pci/pci.c): a device-specific quirk decides
 * first; then conventional PCI and PCIe-to-PCI/PCI-to-PCIe bridges and RC event
 * collectors are never isolated; downstream and root ports need the flags;
 * endpoints, upstream ports, legacy endpoints and RCiEPs need them only when
 * multifunction; everything else is isolated.
 */
export function pciAcsEnabled(topology: Topology, dev: PciDevice, flags: number, policy: AcsPolicy = KERNEL_ACS_POLICY): boolean {
  if (policy.acsOverride) {
    // Out-of-tree ACS override quirk, first in the table: downstream/root ports and
    // multifunction devices are declared isolated whatever the hardware does.
    if (dev.kind === 'downstream_port' || dev.kind === 'root_port' || dev.multifunction) return true;
  }
  // Quirks read the capability too (the SPT quirk needs one); give them the policy's view.
  const q = pciDevSpecificAcsEnabled(topology, dev.acs === 'unknown' ? { ...dev, acs: effectiveAcsRegs(dev, policy) } : dev, flags);
  if (q.result >= 0) return q.result > 0;
  if (!isPcie(dev)) return false;
  switch (dev.kind) {
    case 'pci_to_pcie_bridge':
    case 'pcie_to_pci_bridge':
    case 'rc_event_collector':
      return false;
    case 'downstream_port':
    case 'root_port':
      return pciAcsFlagsEnabled(dev, flags, policy);
    case 'endpoint':
    case 'upstream_port':
    case 'legacy_endpoint':
    case 'rc_endpoint':
      if (!dev.multifunction) return true;
      return pciAcsFlagsEnabled(dev, flags, policy);
    default:
      return true;
  }
}

/**
 * Mirrors `pci_acs_path_enabled(start, end, flags)` (drivers/pci/pci.c): every
 * device from `start` up through each parent bridge must pass pci_acs_enabled();
 * reaching the root bus succeeds only when `end` is null.
 */
export function pciAcsPathEnabled(
  topology: Topology,
  start: PciDevice,
  end: PciDevice | null,
  flags: number,
  policy: AcsPolicy = KERNEL_ACS_POLICY,
): boolean {
  let pdev: PciDevice;
  let parent: PciDevice | undefined = start;
  do {
    pdev = parent!;
    if (!pciAcsEnabled(topology, pdev, flags, policy)) return false;
    if (onRootBus(topology, pdev)) return end === null;
    parent = upstreamBridge(topology, pdev);
  } while (pdev !== end && parent);
  return true;
}

/** The first failing device on the pci_acs_path_enabled walk, for error messages. */
export function firstAcsPathFailure(topology: Topology, start: PciDevice, flags: number, policy: AcsPolicy = KERNEL_ACS_POLICY): PciDevice | undefined {
  let cur: PciDevice | undefined = start;
  while (cur) {
    if (!pciAcsEnabled(topology, cur, flags, policy)) return cur;
    cur = upstreamBridge(topology, cur);
  }
  return undefined;
}

/**
 * What the hardware does with one ACS bit at a port or multifunction device, for
 * routing. SV, RR, CR and UF follow the kernel's reading (a missing capability bit
 * means the behaviour is hard-wired; a matching quirk vouches for equivalent
 * isolation unless the quirk is marked broken). TB, EC and DT act only when both
 * the capability and control bits are set. Unknown ACS follows the policy.
 */
export function acsBitActive(topology: Topology, dev: PciDevice, bit: AcsBit, policy: AcsPolicy = KERNEL_ACS_POLICY): boolean {
  const mask = ACS[bit];
  const regs = effectiveAcsRegs(dev, policy);
  if (bit === 'TB' || bit === 'EC' || bit === 'DT') {
    return regs !== null && (regs.cap & mask) !== 0 && (regs.ctrl & mask) !== 0;
  }
  const q = pciDevSpecificAcsEnabled(topology, dev.acs === 'unknown' ? { ...dev, acs: regs } : dev, mask);
  if (q.result >= 0) return q.result > 0 && !dev.quirkBroken;
  return pciAcsFlagsEnabled(dev, mask, policy);
}

/** Parses ACS bit names (`["SV","RR"]`) into a mask. */
export function acsMask(bits: readonly AcsBit[]): number {
  return bits.reduce((m, b) => m | ACS[b], 0);
}

/** Formats a mask the way lspci prints ACSCtl: `SrcValid+ TransBlk- ...` shortened to `SV+ TB- ...`. */
export function formatAcsMask(mask: number): string {
  return (Object.keys(ACS) as AcsBit[]).map((b) => `${b}${mask & ACS[b] ? '+' : '-'}`).join(' ');
}
