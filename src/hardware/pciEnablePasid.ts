/**
 * The PASID enable gate, mirroring `pci_enable_pasid()` (drivers/pci/ats.c, newest
 * mainline text: eetlp_prefix_path / pasid_no_tlp check, then the ACS RR|UF path check).
 */
import type { KernelResult } from '../kernel/errno.ts';
import { err, ok } from '../kernel/errno.ts';
import type { AcsPolicy } from './acs.ts';
import { KERNEL_ACS_POLICY, firstAcsPathFailure, pciAcsPathEnabled } from './acs.ts';
import type { Topology } from './types.ts';
import { ACS } from './types.ts';
import { findDevice } from './pciTree.ts';

/**
 * Mirrors `pci_enable_pasid(pdev, 0)`: already enabled → -EBUSY (the kernel WARNs);
 * no End-End TLP prefix path → -EINVAL; no PASID capability → -EINVAL;
 * `pci_acs_path_enabled(pdev, NULL, PCI_ACS_RR | PCI_ACS_UF)` false → -EINVAL.
 * `enabled` lists the bdfs with PASID already enabled; on success the device is added.
 * An SR-IOV VF is answered first, as in the kernel ("VFs must not implement the PASID
 * Capability, but if a PF supports PASID, its VFs share the PF PASID configuration"):
 * `if (pdev->is_virtfn) { if (pci_physfn(pdev)->pasid_enabled) return 0; return -EINVAL; }`,
 * so a VF succeeds exactly when its PF is in `enabled`, and is not itself added (the kernel
 * leaves the VF's `pasid_enabled` clear). Simplification: no exec/priv features.
 */
export function pciEnablePasid(
  topology: Topology,
  enabled: readonly string[],
  device: string,
  policy: AcsPolicy = KERNEL_ACS_POLICY,
): KernelResult<readonly string[]> {
  const pdev = findDevice(topology, device);
  if (!pdev) return err('ENODEV', `no device ${device}`);
  if (pdev.physfn !== undefined) {
    if (enabled.includes(pdev.physfn)) return ok([...enabled]);
    return err('EINVAL', `${pdev.bdf}: SR-IOV VF, and its PF ${pdev.physfn} does not have PASID enabled (VFs share the PF PASID configuration)`);
  }
  if (enabled.includes(pdev.bdf)) return err('EBUSY', `${pdev.bdf}: PASID already enabled (WARN_ON(pdev->pasid_enabled))`);
  if (!pdev.eetlpPrefixPath) return err('EINVAL', `${pdev.bdf}: no End-End TLP prefix support on the path to the root`);
  if (!pdev.pasid) return err('EINVAL', `${pdev.bdf}: no PASID capability`);
  if (!pciAcsPathEnabled(topology, pdev, null, ACS.RR | ACS.UF, policy)) {
    const bad = firstAcsPathFailure(topology, pdev, ACS.RR | ACS.UF, policy);
    return err('EINVAL', `${pdev.bdf}: ACS RR|UF not enabled on the path to the root (fails at ${bad?.bdf ?? pdev.bdf})`);
  }
  return ok([...enabled, pdev.bdf].sort());
}
