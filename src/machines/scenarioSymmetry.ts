/**
 * Which device slots of a scenario are interchangeable: the same DeviceSpec apart from the name,
 * with the p2p pairs unchanged by swapping them. Used to check a scenario's declared symmetry
 * (Scenario.symmetry) and by the engine's symmetry reduction (src/engine/packed/symmetry.ts).
 */
import { busOf } from './hotReset.ts';
import { canonicalKey } from '../engine/serialize.ts';
import { hotResetsEnabled, type DeviceSpec, type Scenario } from './scenario.ts';

const specKey = (d: DeviceSpec): string => {
  const { name: _name, ...rest } = d;
  return canonicalKey(rest);
};

/** Swapping slots x and y maps the scenario's p2p pairs onto themselves. */
function p2pInvariantUnderSwap(scenario: Scenario, x: number, y: number): boolean {
  const pairs = new Set(scenario.p2p.map(([a, b]) => `${a},${b}`));
  const sw = (i: number) => (i === x ? y : i === y ? x : i);
  return scenario.p2p.every(([a, b]) => pairs.has(`${sw(a)},${sw(b)}`));
}

/**
 * What else of the scenario names slots and must map onto itself under the swap of x and y: the
 * contexts' device lists, SR-IOV links (neither may be another device's PF, and their PFs are
 * the same), the requester IDs of other groups, the outside peers and the unmap windows.
 */
function factsInvariantUnderSwap(scenario: Scenario, x: number, y: number): string | null {
  const sw = (i: number) => (i === x ? y : i === y ? x : i);
  for (const c of scenario.contexts) {
    if (c.devices && c.devices.includes(x) !== c.devices.includes(y)) return `context ${c.name} may take only one of them`;
  }
  if (scenario.devices.some((d) => d.pf === x || d.pf === y)) return 'one of them is an SR-IOV PF';
  const rids = new Set((scenario.foreignRids ?? []).map((f) => `${f.from}|${f.rid}|${f.device}|${f.group}`));
  for (const f of scenario.foreignRids ?? []) {
    if (f.from !== x && f.from !== y && f.device !== x && f.device !== y) continue;
    const g = scenario.devices[sw(f.from)]?.group;
    if (g === undefined) return 'their requester IDs differ';
    // The swapped entry must exist: the other device emits the same foreign ID.
    if (!rids.has(`${sw(f.from)}|${f.rid}|${f.device === null ? null : sw(f.device)}|${f.group}`)) return 'the requester IDs of other groups they can emit differ';
  }
  for (const o of scenario.outsidePeers ?? []) if (o.reachedFrom.includes(x) !== o.reachedFrom.includes(y)) return `only one of them reaches ${o.name}`;
  // DMA actors (`dma:`) and PASID/PRI devices (`pasids:`, `pri:`) are interchangeable too: the
  // engine renames the slots their groups' translation and PASID state name (slotRenaming.ts).
  // Not DMA actors with ATS: the canonical page numbering (pageSymmetry.ts) walks the ATC entries
  // by slot, and the allocator takes the first free page in that order, so which freed page goes
  // to the next dma_map_page (and whose ATC entry turns stale) depends on the slot numbers: the
  // model is not symmetric in them (test/engine/translationSymmetry.test.ts shows a run).
  if ([x, y].some((i) => scenario.devices[i]?.dma === true && scenario.devices[i]?.ats === true)) {
    return 'DMA actors with ATS (`dma:` and `ats:`) are not reduced by symmetry: the page the model\'s allocator hands out next depends on which device\'s ATC names it';
  }
  const w = scenario.unmapWindow;
  if (w && !w[x] !== !w[y]) return 'only one of them has an unmap window';
  // VFIO hot reset (issue 16, Deliver 2): the dev_set a hot reset resets is read from the bus in the name.
  if (hotResetsEnabled(scenario) && busOf(scenario, x) !== busOf(scenario, y)) return 'they sit on different PCI buses, and a hot reset (`hotReset`) resets a bus';
  return null;
}

/** Why the slots of `cls` are not interchangeable, or null when they are. */
function classProblem(scenario: Scenario, cls: readonly number[]): string | null {
  const names = (i: number) => scenario.devices[i]!.name;
  for (let j = 0; j + 1 < cls.length; j++) {
    const a = cls[j]!;
    const b = cls[j + 1]!;
    if (specKey(scenario.devices[a]!) !== specKey(scenario.devices[b]!)) {
      return `${names(a)} and ${names(b)} differ in more than their name (drivers, presence or PCI facts)`;
    }
    // Adjacent transpositions generate the symmetric group of a class: check each one.
    if (!p2pInvariantUnderSwap(scenario, a, b)) return `swapping ${names(a)} and ${names(b)} changes the peer-to-peer pairs`;
    const facts = factsInvariantUnderSwap(scenario, a, b);
    if (facts) return `${names(a)} and ${names(b)} are not interchangeable: ${facts}`;
  }
  return null;
}

/** Classes (2 or more slots each) of interchangeable devices found in the scenario; empty when there is no symmetry. */
export function deviceSymmetryClasses(scenario: Scenario): number[][] {
  const byKey = new Map<string, number[]>();
  scenario.devices.forEach((d, i) => {
    const k = specKey(d);
    const c = byKey.get(k);
    if (c) c.push(i);
    else byKey.set(k, [i]);
  });
  return [...byKey.values()].filter((c) => c.length >= 2 && classProblem(scenario, c) === null);
}

/**
 * What is wrong with the scenario's declared symmetry (`Scenario.symmetry`): a name that is no
 * device, a device in two classes, or devices that are not interchangeable. Null when sound.
 */
export function declaredSymmetryProblem(scenario: Scenario): { index: number; message: string } | null {
  const seen = new Set<string>();
  for (const [index, names] of (scenario.symmetry ?? []).entries()) {
    if (names.length < 2) return { index, message: 'a class needs at least two devices' };
    const slots: number[] = [];
    for (const name of names) {
      const i = scenario.devices.findIndex((d) => d.name === name);
      if (i < 0) return { index, message: `${name} is not a device of the scenario (devices: ${scenario.devices.map((d) => d.name).join(', ')})` };
      if (seen.has(name)) return { index, message: `${name} is in two classes` };
      seen.add(name);
      slots.push(i);
    }
    const problem = classProblem(scenario, slots);
    if (problem) return { index, message: problem };
  }
  return null;
}

/** The scenario's declared classes of interchangeable devices, as slot indices; throws when unsound. */
export function declaredSymmetryClasses(scenario: Scenario): number[][] {
  const problem = declaredSymmetryProblem(scenario);
  if (problem) throw new Error(`scenario ${scenario.name}: symmetry[${problem.index}]: ${problem.message}`);
  return (scenario.symmetry ?? []).map((names) => names.map((n) => scenario.devices.findIndex((d) => d.name === n)).sort((a, b) => a - b));
}
