/**
 * IOMMU group derivation mirroring `pci_device_group()` and its helpers
 * `get_pci_alias_or_group()`, `get_pci_alias_group()` and
 * `get_pci_function_alias_group()` (drivers/iommu/iommu.c, gregkh/linux @ 17194cd0),
 * run over the devices in the order the IOMMU core probes them.
 *
 * SR-IOV VFs need no rule of their own here, because mainline has none: `pci_iov_add_virtfn()`
 * (drivers/pci/iov.c) sets `virtfn->multifunction = 0`, and `pci_acs_enabled()`
 * (drivers/pci/pci.c) never looks at `is_virtfn` or at the PF: for PCI_EXP_TYPE_ENDPOINT it
 * "break"s to "return true" when `!pdev->multifunction` ("PCIe 3.0, 6.12.1.3 specifies no ACS
 * capabilities are applicable to single function devices"). So a VF is ACS-isolated by
 * definition, and `get_pci_function_alias_group()` returns NULL for it at once
 * (`!pdev->multifunction`) and skips it as `tmp` when its PF is a multifunction device
 * (`pci_acs_enabled(tmp, REQ_ACS_FLAGS)` is true). The VF's own ACS capability, if any, is
 * never read, nor the PF's on the VF's behalf; no entry of `pci_dev_acs_enabled[]`
 * (drivers/pci/quirks.c) is VF-specific. Hence, below a path where
 * `pci_acs_path_enabled(bus->self, NULL, REQ_ACS_FLAGS)` holds, each VF gets a group of its
 * own, apart from its PF and its sibling VFs; below a non-isolating path it shares the group
 * of the topmost non-isolating bridge like any function. (On a virtual bus with no
 * `bus->self`, pci_device_group() and pci_for_each_dma_alias() `continue` past it: not
 * modelled, VFs sit on their PF's bus here.) Whether the hardware keeps PF and VFs apart is
 * another matter: routeMemoryRequest.ts routes VF↔PF peer requests inside the device unless
 * the PF has ACS RR, so a PF without ACS RR breaks I13 (see README, Findings).
 */
import type { PciDevice, Topology } from './types.ts';
import { REQ_ACS_FLAGS } from './types.ts';
import type { AcsPolicy } from './acs.ts';
import { KERNEL_ACS_POLICY, pciAcsEnabled, pciAcsPathEnabled } from './acs.ts';
import { pciDevsAreDmaAliases, pciForEachDmaAlias } from './dmaAlias.ts';
import { busOf, devfnOf, devicesOnBusInOrder, getDevice, kernelAddOrder, onRootBus, slotOf, upstreamBridge } from './pciTree.ts';

/** One derived group: an id (allocation order) and its devices' bdfs, sorted. */
export interface DerivedGroup {
  readonly id: number;
  readonly devices: readonly string[];
}

/** The result of group derivation. */
export interface Grouping {
  readonly groups: readonly DerivedGroup[];
  /** bdf → group id. */
  readonly groupOf: Readonly<Record<string, number>>;
  /** bdf → which step of pci_device_group decided, in kernel words. */
  readonly why: Readonly<Record<string, string>>;
}

/**
 * Derives the IOMMU groups the kernel would build for every device of the topology.
 * `policy.acsOverride` gives the flawed ACS-override grouping.
 */
export function deriveGroups(topology: Topology, policy: AcsPolicy = KERNEL_ACS_POLICY): Grouping {
  const groupOf: Record<string, number> = {};
  const why: Record<string, string> = {};
  let next = 0;
  const sameBus = (d: PciDevice) => devicesOnBusInOrder(topology, busOf(d)).filter((t) => t !== d);

  // get_pci_alias_group(): look for aliases to or from pdev on its bus, recursively,
  // with a devfn bitmap against loops (the kernel keys it on devfn only).
  const aliasGroup = (pdev: PciDevice, devfns: Set<number>): number | undefined => {
    if (devfns.has(devfnOf(pdev))) return undefined;
    devfns.add(devfnOf(pdev));
    if (groupOf[pdev.bdf] !== undefined) return groupOf[pdev.bdf];
    for (const tmp of sameBus(pdev)) {
      if (!pciDevsAreDmaAliases(pdev, tmp)) continue;
      const g = aliasGroup(tmp, devfns) ?? functionAliasGroup(tmp, devfns);
      if (g !== undefined) return g;
    }
    return undefined;
  };

  // get_pci_function_alias_group(): a multifunction device that is not ACS-isolated
  // shares a group with the other non-isolated functions of its slot.
  const functionAliasGroup = (pdev: PciDevice, devfns: Set<number>): number | undefined => {
    if (!pdev.multifunction || pciAcsEnabled(topology, pdev, REQ_ACS_FLAGS, policy)) return undefined;
    for (const tmp of sameBus(pdev)) {
      if (slotOf(tmp) !== slotOf(pdev) || pciAcsEnabled(topology, tmp, REQ_ACS_FLAGS, policy)) continue;
      const g = aliasGroup(tmp, devfns);
      if (g !== undefined) return g;
    }
    return undefined;
  };

  const pciDeviceGroup = (dev: PciDevice): [number, string] => {
    // Step 1, pci_for_each_dma_alias() with get_pci_alias_or_group(): join the group of
    // any alias device that already has one; remember the last device visited.
    let pdev = dev;
    for (const alias of pciForEachDmaAlias(topology, dev)) {
      pdev = getDevice(topology, alias.device);
      const g = groupOf[pdev.bdf];
      if (g !== undefined) return [g, `DMA alias ${alias.rid} via ${pdev.bdf} already has group ${g}`];
    }
    // Step 2: continue upstream from the topmost alias until a bridge whose whole path
    // to the root has ACS SV|RR|CR|UF (pci_acs_path_enabled(bus->self, NULL, REQ_ACS_FLAGS)).
    let cur = pdev;
    while (!onRootBus(topology, cur)) {
      const self = upstreamBridge(topology, cur);
      if (!self) break;
      if (pciAcsPathEnabled(topology, self, null, REQ_ACS_FLAGS, policy)) break;
      pdev = self;
      const g = groupOf[self.bdf];
      if (g !== undefined) return [g, `no ACS isolation on the path at ${self.bdf}: shares its group ${g}`];
      cur = self;
    }
    const devfns = new Set<number>();
    // Step 3: aliases to or from pdev on the same bus.
    const ga = aliasGroup(pdev, devfns);
    if (ga !== undefined) return [ga, `DMA alias of ${pdev.bdf} on the same bus: group ${ga}`];
    // Step 4: non-isolated functions of the same slot.
    const gf = functionAliasGroup(pdev, devfns);
    if (gf !== undefined) return [gf, `multifunction ${pdev.bdf} without ACS: shares group ${gf} with its slot`];
    // Step 5: iommu_group_alloc().
    const vf = dev.physfn !== undefined ? `; SR-IOV VF of ${dev.physfn}: multifunction = 0, so pci_acs_enabled() is true and its PF's group is not joined` : '';
    return [next++, pdev === dev ? `new group (isolated)${vf}` : `new group at ${pdev.bdf} (no ACS above ${dev.bdf})`];
  };

  for (const dev of kernelAddOrder(topology)) {
    const [g, reason] = pciDeviceGroup(dev);
    groupOf[dev.bdf] = g;
    why[dev.bdf] = reason;
  }
  const members = new Map<number, string[]>();
  for (const [b, id] of Object.entries(groupOf)) {
    const list = members.get(id);
    if (list) list.push(b);
    else members.set(id, [b]);
  }
  const groups: DerivedGroup[] = [];
  for (let id = 0; id < next; id++) {
    const devices = (members.get(id) ?? []).sort();
    if (devices.length > 0) groups.push({ id, devices });
  }
  return { groups, groupOf, why };
}

/** The flawed grouping of the ACS override patch: trusts every port and multifunction device. */
export function deriveGroupsWithAcsOverride(topology: Topology): Grouping {
  return deriveGroups(topology, { ...KERNEL_ACS_POLICY, acsOverride: true });
}
