/**
 * The scaling series of the ownership model: N devices in one group, each may get e1000e,
 * vfio-pci or pci-stub; one legacy-VFIO context, with two contexts also one iommufd context, with
 * three a second iommufd context; no hot-plug; every pair of devices reaches the other
 * peer-to-peer (a switch without ACS).
 */
import type { Scenario } from '../src/machines/scenario.ts';
import { allPairs, ctx, dev } from '../src/scenarios/builtin.ts';

export function scalingScenario(devices: number, contexts: 1 | 2 | 3 = 2): Scenario {
  const ctxs = [ctx('qemu-legacy', ['vfio-group']), ctx('qemu-iommufd', ['iommufd']), ctx('qemu-iommufd-b', ['iommufd'])].slice(0, contexts);
  return {
    name: `scaling-${devices}x${contexts}`,
    description: `${devices} interchangeable devices (e1000e | vfio-pci | pci-stub), ${contexts} context(s), no hot-plug, p2p all pairs`,
    devices: Array.from({ length: devices }, (_, i) => dev(`10:00.${i}`, ['e1000e', 'vfio-pci', 'pci-stub'])),
    contexts: ctxs,
    hotplug: false,
    p2p: allPairs(devices),
    topology: null,
    symmetry: [Array.from({ length: devices }, (_, i) => `10:00.${i}`)],
  };
}
