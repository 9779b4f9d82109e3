/**
 * Scale by decomposition: IOMMU groups that share no legacy VFIO container, no peer-to-peer route
 * and no requester ID are independent, so the scenario splits into components explored apart; the
 * whole scenario's reachable states are the product of the components' (states add up instead of
 * multiplying), and an invariant breaks in the whole exactly when it breaks in a component.
 *
 * Why these couplings and no others (see docs/decomposition in the README's Engine section):
 * every kernel call of the model acts on one group, except the VFIO container calls
 * (VFIO_SET_IOMMU attaches every group on the container's list; the last group to leave releases
 * the backend), so a context on the legacy path couples the groups of its devices, and the
 * SR-IOV calls of a PF driver (they add and remove its VFs) couple the PF's group with its VFs'. An iommufd
 * context keeps nothing across groups (one iommufd_group per group; a shared hwpt is a name, not
 * state), so it couples nothing by itself. The invariants are per group except P2P (a peer's
 * group owner) and RID (another group's domain), whose pairs are the other couplings.
 *
 * Caveat (checked by the caller): when a component's initial state already breaks a state
 * invariant, the whole scenario is not expanded at all, so decomposition is not used.
 */
import { busSlots } from '../machines/hotReset.ts';
import { barDmabufEnabled, coherencyEnabled, contextDevices, scenarioGroups, type Scenario } from '../machines/scenario.ts';
import { groupOf } from '../machines/state.ts';

/** The component of each group: a partition of the groups, each part ascending, parts by first group. */
export function groupComponents(scenario: Scenario): number[][] {
  const n = scenarioGroups(scenario).length;
  const parent = Array.from({ length: n }, (_, g) => g);
  const find = (g: number): number => (parent[g] === g ? g : (parent[g] = find(parent[g]!)));
  const join = (a: number, b: number) => {
    const [x, y] = [find(a), find(b)];
    if (x !== y) parent[Math.max(x, y)] = Math.min(x, y);
  };
  scenario.contexts.forEach((c, ctx) => {
    // Cache coherency (issue 16, Deliver 5): an hwpt's enforce_cache_coherency is state the context's groups share (fixed by the first to attach).
    // Hwpt lifetimes (issue 16, Deliver 1): IOMMU_DESTROY's -EBUSY counts the users of an hwpt in every group of the context.
    if (!c.paths.includes('vfio-group') && !(c.paths.includes('iommufd') && (coherencyEnabled(scenario) || c.hwptLifetime === true))) return;
    const groups = contextDevices(scenario, ctx).map((d) => groupOf(scenario, d));
    for (const g of groups) join(groups[0]!, g);
  });
  // BAR DMABUF exports (issue 16, Deliver 6): a device on an iommufd context's hwpt DMAs to a BAR the context exported (p2p_dma_to_bar reads both groups' devices).
  scenario.contexts.forEach((c, ctx) => {
    if (!barDmabufEnabled(scenario) || !c.paths.includes('iommufd')) return;
    const groups = contextDevices(scenario, ctx).map((d) => groupOf(scenario, d));
    for (const g of groups) join(groups[0]!, g);
  });
  // VFIO hot reset (issue 16, Deliver 2): VFIO_DEVICE_PCI_HOT_RESET resets, and checks the ownership of, every function of the bus.
  scenario.devices.forEach((d, dev) => {
    if (d.hotReset) for (const j of busSlots(scenario, dev)) join(groupOf(scenario, dev), groupOf(scenario, j));
  });
  for (const [a, b] of scenario.p2p) join(groupOf(scenario, a), groupOf(scenario, b));
  // pci_enable_sriov / pci_disable_sriov, the PF driver's calls, add and remove the VFs.
  scenario.devices.forEach((d, vf) => {
    if (d.pf !== undefined) join(groupOf(scenario, d.pf), groupOf(scenario, vf));
  });
  for (const f of scenario.foreignRids ?? []) if (f.group !== null) join(groupOf(scenario, f.from), f.group);
  const parts = new Map<number, number[]>();
  for (let g = 0; g < n; g++) {
    const root = find(g);
    parts.set(root, [...(parts.get(root) ?? []), g]);
  }
  return [...parts.values()];
}

/** `s` restricted to the groups `part`: devices, groups, contexts and facts renumbered. */
export function componentScenario(s: Scenario, part: readonly number[], label: string): Scenario {
  const slots = s.devices.flatMap((_, i) => (part.includes(groupOf(s, i)) ? [i] : []));
  const slot = (i: number) => slots.indexOf(i);
  const group = (g: number) => part.indexOf(g);
  const keep = <T>(xs: readonly T[] | undefined, f: (x: T) => T | null): T[] =>
    (xs ?? []).flatMap((x) => {
      const y = f(x);
      return y === null ? [] : [y];
    });
  const names = new Set(slots.map((i) => s.devices[i]!.name));
  return {
    ...s,
    name: `${s.name}[${label}]`,
    groups: part.map((g) => scenarioGroups(s)[g]!),
    wholeGroups: scenarioGroups(s).length,
    devices: slots.map((i) => {
      const d = s.devices[i]!;
      return { ...d, group: group(groupOf(s, i)), ...(d.pf !== undefined ? { pf: slot(d.pf) } : {}) };
    }),
    contexts: s.contexts.map((c) => (c.devices ? { ...c, devices: c.devices.filter((d) => slots.includes(d)).map(slot) } : c)),
    p2p: keep(s.p2p, ([a, b]) => (slots.includes(a) && slots.includes(b) ? [slot(a), slot(b)] : null)),
    ...(s.outsidePeers ? { outsidePeers: keep(s.outsidePeers, (o) => ({ ...o, reachedFrom: o.reachedFrom.filter((i) => slots.includes(i)).map(slot) })).filter((o) => o.reachedFrom.length > 0) } : {}),
    ...(s.foreignRids
      ? { foreignRids: keep(s.foreignRids, (f) => (slots.includes(f.from) ? { ...f, from: slot(f.from), device: f.device === null ? null : slot(f.device), group: f.group === null ? null : group(f.group) } : null)) }
      : {}),
    ...(s.unmapWindow ? { unmapWindow: slots.map((i) => s.unmapWindow![i] ?? null) } : {}),
    ...(s.symmetry ? { symmetry: s.symmetry.filter((cls) => cls.every((n) => names.has(n))) } : {}),
    ...(s.hardware ? { hardware: { topology: s.hardware.topology, deviceMap: slots.map((i) => s.hardware!.deviceMap[i]!) } } : {}),
  };
}

/** The scenario's components as scenarios of their own (one when nothing splits). */
export function decompose(s: Scenario): Scenario[] {
  const parts = groupComponents(s);
  if (parts.length <= 1) return [s];
  const groups = scenarioGroups(s);
  return parts.map((part) => componentScenario(s, part, `group ${part.map((g) => groups[g]!.name).join('+')}`));
}
