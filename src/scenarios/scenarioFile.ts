/**
 * A user's own scenario in JSON or YAML, validated with zod. Errors name the file, the field
 * path inside it and what was expected, on one line.
 *
 * Two forms:
 *  - a machine and a plan: `topology:` (a built-in topology, a topology file or an lspci dump,
 *    a path relative to the scenario file) and `plan:` keyed by BDF; every IOMMU group holding a
 *    planned device is modelled whole (src/scenarios/plan.ts);
 *  - a device list: `devices:` (with or without `topology:`; with one, the devices are named by
 *    the topology's BDFs or names and the hardware facts are derived, as for built-ins).
 * `grouping: mainline | switch-groups` picks the grouping rule the groups come from.
 *
 * The file system is the caller's: `loadTopology` resolves a `topology:` reference (the CLI reads
 * the file relative to the scenario file).
 */
import { findDevice, type GroupingRule, type Topology } from '../hardware/index.ts';
import { UNPRINTABLE } from '../hardware/topologySpec.ts';
import { DRIVER_NAMES, DRIVERS, type DriverName } from '../kernel/drivers.ts';
import type { Scenario } from '../machines/scenario.ts';
import { declaredSymmetryProblem } from '../machines/scenarioSymmetry.ts';
import { allPairs } from './builtin.ts';
import { applyTopology } from './fromTopology.ts';
import { PlanError, scenarioFromPlan } from './plan.ts';
import { isStackOverflow, parseYamlData } from '../util/yamlData.ts';

import { scenarioFileSchema, type ScenarioFile } from './scenarioFileSchema.ts';

export { scenarioFileSchema, type ScenarioFile } from './scenarioFileSchema.ts';

/** A loaded scenario plus the expectations the file states per variant. */
export interface LoadedScenario {
  scenario: Scenario;
  expect: Partial<Record<string, 'holds' | string[]>>;
}

/** Shows the characters a terminal would act on (newline, ESC, bidi overrides, NUL, ...) as escapes: `\n`, `\x1b`, `\u202e`. */
export const escapeUnprintable = (text: string): string =>
  text.replace(new RegExp(UNPRINTABLE.source, 'gu'), (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    const code = c.codePointAt(0)!;
    return named[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
  });

/** A located, one-line validation error; whatever it quotes from the file is shown escaped (never raw control characters). */
export class ScenarioFileError extends Error {
  constructor(message: string) {
    super(escapeUnprintable(message));
  }
}

/** Resolves a `topology:` reference, or throws an Error whose message says what is wrong (one line). */
export type TopologyLoader = (ref: string) => Topology;

/** The most slots one scenario may have (every group of a plan counts whole). */
export const MAX_SLOTS = 16;

const pathOf = (p: readonly PropertyKey[]): string =>
  p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '') || '(top level)';

/** The first line of a parser's message, without yaml's trailing colon before its code excerpt. */
const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!.replace(/:$/, '');

function parseData(text: string, file: string): unknown {
  if (text.trim() === '') throw new ScenarioFileError(`${file}: the file is empty; expected a scenario (JSON or YAML)`);
  const json = /\.json$/i.test(file);
  try {
    return json ? JSON.parse(text.replace(/^\uFEFF/, '')) : parseYamlData(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    const message = isStackOverflow(e) ? 'nested too deeply' : firstLine(e);
    throw new ScenarioFileError(`${file}: not valid ${json ? 'JSON' : 'YAML'}: ${message}`);
  }
}

/** The topology a file names, through the caller's loader; failures become located one-line errors. */
function loadTopologyOf(f: ScenarioFile, file: string, load: TopologyLoader | undefined): Topology | null {
  if (f.topology === undefined) return null;
  if (!load) throw new ScenarioFileError(`${file}: topology: no topology loader given; expected a built-in topology name`);
  try {
    return load(f.topology);
  } catch (e) {
    throw new ScenarioFileError(`${file}: topology: ${(e as Error).message}`);
  }
}

/** The `p2p:` pairs as slot pairs: names or indices below the device count; no device paired with itself, no pair twice. */
function p2pPairsOf(pairs: readonly (readonly (string | number)[])[], names: readonly string[], slot: (name: string, path: string) => number, file: string): [number, number][] {
  const out: [number, number][] = [];
  pairs.forEach((pair, i) => {
    const [a, b] = pair.map((end, k) => {
      if (typeof end === 'string') return slot(end, `p2p[${i}][${k}]`);
      if (end >= names.length) throw new ScenarioFileError(`${file}: p2p[${i}][${k}]: expected a device name or an index below ${names.length}, got ${end}`);
      return end;
    }) as [number, number];
    if (a === b) throw new ScenarioFileError(`${file}: p2p[${i}]: pairs "${names[a]}" with itself; expected two different devices`);
    const j = out.findIndex(([x, y]) => x === a && y === b);
    if (j >= 0) throw new ScenarioFileError(`${file}: p2p[${i}]: "${names[a]}" -> "${names[b]}" is p2p[${j}] again; expected each pair once`);
    out.push([a, b]);
  });
  return out;
}

/** The device-list form: the slots as written; contexts' device names to slots. */
function scenarioFromDevices(f: ScenarioFile, file: string): Scenario {
  const devices = f.devices!;
  const n = devices.length;
  devices.forEach((d, i) => {
    const j = devices.findIndex((x) => x.name === d.name);
    if (j !== i) throw new ScenarioFileError(`${file}: devices[${i}].name: "${d.name}" is already used by devices[${j}]; expected each device once`);
  });
  const slot = (name: string, path: string) => {
    const i = devices.findIndex((d) => d.name === name);
    if (i < 0) throw new ScenarioFileError(`${file}: ${path}: expected a device of the scenario (${devices.map((d) => d.name).join(', ')}), got "${name}"`);
    return i;
  };
  const p2pSpec = f.p2p ?? 'all';
  const taken = new Map<number, number>();
  const contexts = f.contexts.map((c, ci) => {
    const optional = { ...(c.mapDma ? { mapDma: true } : {}), ...(c.hwptLifetime ? { hwptLifetime: true } : {}), ...(c.viommu ? { viommu: true } : {}), ...(c.faultHwpts ? { faultHwpts: true } : {}), ...(c.expectRefused ? { expectRefused: true } : {}) };
    if (!c.devices) return { name: c.name, paths: c.paths, hwpts: c.hwpts, ...optional };
    const slots = c.devices.map((name, k) => {
      const i = slot(name, `contexts[${ci}].devices[${k}]`);
      const other = taken.get(i);
      if (other !== undefined) throw new ScenarioFileError(`${file}: contexts[${ci}].devices[${k}]: "${name}" is already in contexts[${other}].devices; expected each device in one context's list`);
      taken.set(i, ci);
      return i;
    });
    return { name: c.name, paths: c.paths, hwpts: c.hwpts, devices: slots, ...optional };
  });
  const pfOf = (d: (typeof devices)[number], i: number) => {
    if (d.pf === undefined) return {};
    const pf = slot(d.pf, `devices[${i}].pf`);
    const pfSpec = devices[pf]!;
    if (pf === i || pfSpec.pf !== undefined || !pfSpec.drivers.some((drv) => DRIVERS[drv as DriverName].sriovPf)) {
      throw new ScenarioFileError(`${file}: devices[${i}].pf: expected the name of a PF device whose drivers include an SR-IOV PF driver (sriov-pf), got "${d.pf}"`);
    }
    return { pf, present: false };
  };
  const aliasOf = (name: string, i: number): number => {
    const j = slot(name, `devices[${i}].dmaAlias`);
    if (j === i) throw new ScenarioFileError(`${file}: devices[${i}].dmaAlias: expected the name of another device sharing its requester ID, got its own name "${name}"`);
    return j;
  };
  return {
    name: f.name,
    description: f.description,
    devices: devices.map(({ pf: _pf, untrusted, subPage, ats, pasids, pri, resettable, dmaAlias, msi, directRelaxable, barMmap, barDmabuf, noSnoop, enforceCoherency, hotReset, ...d }, i) => ({
      ...d,
      ...(pasids !== undefined ? { pasids, pasid: pasids > 0 } : {}),
      ...(pri ? { pri: true } : {}),
      pasidAcsPath: d.pasidAcsPath ?? false,
      drivers: d.drivers as DriverName[],
      ...pfOf(devices[i]!, i),
      ...(untrusted ? { untrusted: true } : {}),
      ...(subPage ? { subPage: true } : {}),
      ...(ats ? { ats: true } : {}),
      ...(resettable ? { resettable: true } : {}),
      ...(dmaAlias !== undefined ? { dmaAlias: aliasOf(dmaAlias, i) } : {}),
      ...(msi ? { msi: true } : {}),
      ...(directRelaxable ? { directRelaxable: true } : {}),
      ...(barMmap ? { barMmap: true } : {}),
      ...(barDmabuf ? { barDmabuf: true } : {}),
      ...(noSnoop ? { noSnoop: true } : {}),
      ...(enforceCoherency !== undefined ? { enforceCoherency } : {}),
      ...(hotReset ? { hotReset: true } : {}),
    })),
    contexts,
    hotplug: f.hotplug,
    p2p: p2pSpec === 'all' ? allPairs(n) : p2pSpec === 'none' ? [] : p2pPairsOf(p2pSpec, devices.map((d) => d.name), slot, file),
    topology: null,
    ...(f.grouping ? { grouping: f.grouping } : {}),
    ...(f.invalidation ? { invalidation: f.invalidation } : {}),
    ...(f.platform ? { platform: f.platform } : {}),
  };
}

/** Checks the fields that depend on the form: one of devices/plan; topology facts not written by hand. */
function checkForm(f: ScenarioFile, file: string): void {
  if (f.plan && f.devices) throw new ScenarioFileError(`${file}: plan: expected either "plan" (with "topology") or "devices", not both`);
  if (!f.plan && !f.devices) throw new ScenarioFileError(`${file}: (top level): expected "devices" (a list) or "topology" with a "plan" keyed by BDF`);
  if (f.plan && !f.topology) throw new ScenarioFileError(`${file}: topology: a plan names devices by BDF; expected "topology" (a built-in name, a topology file or an lspci dump)`);
  if (f.grouping && !f.topology) throw new ScenarioFileError(`${file}: grouping: the groups come from a topology; expected "topology" too`);
  if (f.topology && f.p2p !== undefined) throw new ScenarioFileError(`${file}: p2p: derived from the topology; expected no hand-written p2p pairs with "topology"`);
  if (f.topology && f.devices?.some((d) => d.pasidAcsPath !== undefined)) {
    const i = f.devices.findIndex((d) => d.pasidAcsPath !== undefined);
    throw new ScenarioFileError(`${file}: devices[${i}].pasidAcsPath: derived from the topology (pci_enable_pasid); expected none with "topology"`);
  }
  f.contexts.forEach((c, i) => {
    const j = f.contexts.findIndex((x) => x.name === c.name);
    if (j !== i) throw new ScenarioFileError(`${file}: contexts[${i}].name: "${c.name}" is already used by contexts[${j}]; expected each context once`);
    if (c.mapDma && !f.dma) throw new ScenarioFileError(`${file}: contexts[${i}].mapDma: a user maps memory for a DMA actor; expected "dma" (a list of devices) too`);
  });
  f.symmetry?.forEach((names, i) =>
    names.forEach((name, k) => {
      if (names.indexOf(name) !== k) throw new ScenarioFileError(`${file}: symmetry[${i}][${k}]: "${name}" is named twice in symmetry[${i}]; expected each device once in a class`);
    }),
  );
  if (f.dma && !f.invalidation) throw new ScenarioFileError(`${file}: invalidation: "dma" puts DMA in the interleavings; expected "invalidation: strict" or "invalidation: lazy" (iommu.strict) with it`);
  if (f.groupTypeWrites && !f.dma) throw new ScenarioFileError(`${file}: groupTypeWrites: the sysfs type write changes the DMA-API default domain of a group with a DMA actor; expected "dma" (a list of devices) with it`);
  if (f.iovaPages !== undefined && !f.dma) throw new ScenarioFileError(`${file}: iovaPages: sizes the IOVA space of DMA actors; expected "dma" (a list of devices) with it`);
  f.dma?.forEach((name, k) => {
    if (f.dma!.indexOf(name) !== k) throw new ScenarioFileError(`${file}: dma[${k}]: "${name}" is named twice; expected each device once`);
  });
  f.devices?.forEach((d, i) => {
    // Reserved regions in user IOVA spaces (issue 16, helper G).
    if (d.reservedIova !== undefined && (!f.dma?.includes(d.name) || !f.contexts.some((c) => c.mapDma))) {
      throw new ScenarioFileError(`${file}: devices[${i}].reservedIova: an IOVA of the user IOVA space; expected "${d.name}" in "dma" and a context with mapDma: true`);
    }
    if (d.reservedIova !== undefined && d.reservedIova >= (f.iovaPages ?? 1)) {
      throw new ScenarioFileError(`${file}: devices[${i}].reservedIova: expected an IOVA page below iovaPages (${f.iovaPages ?? 1}), got ${d.reservedIova}`);
    }
    if (d.ats && !d.resettable && !d.hotReset && !f.dma?.includes(d.name)) {
      throw new ScenarioFileError(`${file}: devices[${i}].ats: ATS acts only on a DMA actor or a resettable device; expected "${d.name}" in "dma", or resettable: true, with it`);
    }
    // VFIO hot reset (issue 16, Deliver 2): VFIO_DEVICE_PCI_HOT_RESET is an ioctl of a vfio-pci device fd.
    if (d.hotReset && !d.drivers.some((x) => DRIVERS[x as DriverName]?.vfio)) {
      throw new ScenarioFileError(`${file}: devices[${i}].hotReset: VFIO_DEVICE_PCI_HOT_RESET is issued on a device held through VFIO; expected a VFIO driver (${DRIVER_NAMES.filter((x) => DRIVERS[x].vfio).join(', ')}) in "drivers" with it`);
    }
  });
  // BAR access (issue 16): a BAR mmap is a vfio-pci device fd's.
  f.devices?.forEach((d, i) => {
    if (d.barMmap && !d.drivers.some((x) => DRIVERS[x as DriverName]?.vfio)) {
      throw new ScenarioFileError(`${file}: devices[${i}].barMmap: a user maps the BARs of a device it holds through VFIO; expected a VFIO driver (${DRIVER_NAMES.filter((x) => DRIVERS[x].vfio).join(', ')}) in "drivers" with it`);
    }
    if (d.barDmabuf && !d.barMmap) throw new ScenarioFileError(`${file}: devices[${i}].barDmabuf: the DMABUF export is of a BAR the user maps; expected barMmap: true with it`);
  });
  f.devices?.forEach((d, i) => {
    if (d.pasids === 0 && d.pasid) throw new ScenarioFileError(`${file}: devices[${i}].pasids: 0 means no PASID capability, but "pasid" is true; expected pasids from 1 to 4, or pasid: false`);
    if (d.pri && !d.pasids) throw new ScenarioFileError(`${file}: devices[${i}].pri: page requests are queued per PASID; expected "pasids" from 1 to 4 with it`);
  });
  for (const v of Object.keys(f.expect)) {
    if (!f.variants.includes(v)) throw new ScenarioFileError(`${file}: expect.${v}: expected a variant listed in "variants" (${f.variants.join(', ')})`);
  }
}

/** The scenario of a validated file: from the plan or the device list, then the topology's facts. */
function buildScenario(f: ScenarioFile, file: string, topology: Topology | null): Scenario {
  const grouping: GroupingRule = f.grouping ?? 'mainline';
  let base: Scenario;
  try {
    base = f.plan
      ? scenarioFromPlan({ name: f.name, description: f.description, topology: topology!, grouping, plan: f.plan as never, contexts: f.contexts, hotplug: f.hotplug, ...(f.invalidation ? { invalidation: f.invalidation } : {}), ...(f.platform ? { platform: f.platform } : {}) })
      : scenarioFromDevices(f, file);
  } catch (e) {
    if (e instanceof PlanError) throw new ScenarioFileError(`${file}: ${e.path}: ${e.message}`);
    throw e;
  }
  if (base.devices.length > MAX_SLOTS) {
    throw new ScenarioFileError(`${file}: plan: the planned devices' groups hold ${base.devices.length} devices; expected at most ${MAX_SLOTS} (plan fewer groups per scenario)`);
  }
  if (!topology) return base;
  base.devices.forEach((d, i) => {
    if (d.pf === undefined) return;
    const [vf, pf] = [findDevice(topology, d.name), findDevice(topology, base.devices[d.pf]!.name)];
    if (vf && pf && vf.physfn !== pf.bdf) throw new ScenarioFileError(`${file}: devices[${i}].pf: ${d.name} is not a VF of ${pf.bdf} in topology ${topology.name} (its physfn is ${vf.physfn ?? 'none'})`);
  });
  try {
    return applyTopology({ ...base, grouping, topology: topology.name }, topology);
  } catch (e) {
    throw new ScenarioFileError(`${file}: devices: ${(e as Error).message}`);
  }
}

/** The scenario with the devices `dma` names marked as DMA actors (DeviceSpec.dma) and its IOVA pages set. */
function withDmaActors(scenario: Scenario, f: ScenarioFile, file: string): Scenario {
  if (!f.dma) return scenario;
  const slots = f.dma.map((name, k) => {
    const i = scenario.devices.findIndex((d) => d.name === name);
    if (i < 0) throw new ScenarioFileError(`${file}: dma[${k}]: expected a device of the scenario (${scenario.devices.map((d) => d.name).join(', ')}), got "${name}"`);
    return i;
  });
  return {
    ...scenario,
    devices: scenario.devices.map((d, i) => (slots.includes(i) ? { ...d, dma: true } : d)),
    ...(f.iovaPages !== undefined ? { iovaPages: f.iovaPages } : {}),
    ...(f.groupTypeWrites ? { groupTypeWrites: true } : {}),
  };
}

/** Parses and validates a scenario file's text; throws ScenarioFileError with file, field and expectation. */
export function parseScenarioFile(text: string, file: string, loadTopology?: TopologyLoader, grouping?: GroupingRule): LoadedScenario {
  const r = scenarioFileSchema.safeParse(parseData(text, file));
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ScenarioFileError(`${file}: ${pathOf(issue.path)}: ${issue.message}`);
  }
  // A grouping rule given on the command line replaces the file's (for files with a topology).
  const f = grouping && r.data.topology ? { ...r.data, grouping } : r.data;
  checkForm(f, file);
  const scenario = { ...withDmaActors(buildScenario(f, file, loadTopologyOf(f, file, loadTopology)), f, file), variants: f.variants, ...(f.symmetry ? { symmetry: f.symmetry } : {}) };
  const sym = declaredSymmetryProblem(scenario);
  if (sym) throw new ScenarioFileError(`${file}: symmetry[${sym.index}]: ${sym.message}; expected names of interchangeable devices`);
  return { scenario, expect: f.expect };
}
