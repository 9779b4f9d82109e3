/**
 * Turns a schema-valid topology file (TopologySpec) into the flat Topology the
 * kernel-side functions read: kinds, bus numbers (secondary/subordinate), bridge
 * windows, multifunction bits, DMA alias quirks. Semantic mistakes (unknown parent,
 * duplicate bdf, children on different buses) come back as a located error.
 */
import type { AcsState, Bar, DeviceKind, MemRange, PciDevice, Topology } from './types.ts';
import { ACS, ACS_BITS } from './types.ts';
import type { FunctionSpec, TopologySpec } from './topologySpec.ts';
import { dmaAliasQuirksFor } from './dmaAlias.ts';
import { formatBdf, parseBdf } from './pciTree.ts';

/** A located problem in a topology file: `path` like `switches[0].ports[1].acs.ctrl`. */
export interface SpecProblem {
  readonly path: string;
  readonly expected: string;
  readonly got: string;
}

type AnyFn = FunctionSpec & { windows?: { base: number | string; size: number | string }[]; kind?: string; physfn?: string };

interface Entry {
  readonly path: string;
  /** Where this entry's `parent` field sits in the file. */
  readonly parentPath: string;
  readonly name: string;
  readonly kind: DeviceKind;
  readonly parent: string | null;
  readonly spec: AnyFn;
  readonly multifunction?: boolean;
}

const BRIDGES: DeviceKind[] = ['root_port', 'upstream_port', 'downstream_port', 'pcie_to_pci_bridge', 'pci_bridge'];
const num = (v: number | string): number => (typeof v === 'number' ? v : parseInt(v, 16));
const show = (v: unknown): string => JSON.stringify(v);

class Problem extends Error {
  constructor(readonly problem: SpecProblem) {
    super(`${problem.path}: expected ${problem.expected}, got ${problem.got}`);
  }
}

function acsOf(path: string, a: AnyFn['acs']): AcsState {
  if (a === undefined || a === null) return null;
  if (a === 'unknown') return 'unknown';
  const mask = (v: number | readonly string[]) => (typeof v === 'number' ? v : v.reduce((m, b) => m | ACS[b as keyof typeof ACS], 0));
  const cap = mask(a.cap);
  const ctrl = mask(a.ctrl);
  if ((ctrl & ~cap) !== 0) {
    const extra = ACS_BITS.filter((b) => ctrl & ~cap & ACS[b]);
    throw new Problem({ path: `${path}.acs.ctrl`, expected: 'only bits that acs.cap has (control bits of absent features are hard-wired 0)', got: show(extra) });
  }
  return { cap, ctrl };
}

function collect(spec: TopologySpec): Entry[] {
  const out: Entry[] = [];
  spec.rootPorts?.forEach((p, i) => out.push({ path: `rootPorts[${i}]`, parentPath: `rootPorts[${i}]`, name: p.name, kind: 'root_port', parent: null, spec: p }));
  spec.switches?.forEach((s, i) => {
    const usp = s.upstream.name ?? `${s.name}-usp`;
    out.push({ path: `switches[${i}].upstream`, parentPath: `switches[${i}]`, name: usp, kind: 'upstream_port', parent: s.parent, spec: s.upstream });
    s.ports.forEach((p, j) => out.push({ path: `switches[${i}].ports[${j}]`, parentPath: `switches[${i}]`, name: p.name, kind: 'downstream_port', parent: usp, spec: p }));
  });
  spec.endpoints?.forEach((e, i) =>
    e.functions.forEach((f, j) =>
      out.push({
        path: `endpoints[${i}].functions[${j}]`,
        parentPath: `endpoints[${i}]`,
        name: f.name ?? (e.functions.length > 1 ? `${e.name}.${j}` : e.name),
        kind: (f.kind ?? 'endpoint') as DeviceKind,
        parent: e.parent,
        spec: f,
        multifunction: e.multifunction,
      }),
    ),
  );
  spec.bridges?.forEach((b, i) => {
    out.push({ path: `bridges[${i}]`, parentPath: `bridges[${i}]`, name: b.name, kind: b.kind ?? 'pcie_to_pci_bridge', parent: b.parent, spec: b as AnyFn });
    b.devices?.forEach((d, j) =>
      out.push({ path: `bridges[${i}].devices[${j}]`, parentPath: `bridges[${i}]`, name: d.name ?? `${b.name}.${j}`, kind: (d.kind ?? 'pci_device') as DeviceKind, parent: b.name, spec: d }),
    );
  });
  spec.integrated?.forEach((f, i) =>
    out.push({ path: `integrated[${i}]`, parentPath: `integrated[${i}]`, name: f.name ?? f.bdf, kind: (f.kind ?? 'rc_endpoint') as DeviceKind, parent: null, spec: f }),
  );
  return out;
}

const normBdf = (text: string): string => {
  const p = parseBdf(text)!;
  return formatBdf(p.bus, p.devfn);
};

/**
 * SR-IOV VFs (`physfn` set) → the normalised bdf of their PF. The PF must be another function
 * of the same endpoint (so on the same bus), a PCIe endpoint and not itself a VF; the VF is an
 * endpoint too (VFs are PCIe functions) with the PF's vendor ID (`pci_iov_add_virtfn()`,
 * drivers/pci/iov.c: `virtfn->vendor = dev->vendor`; the device ID is the PF's VF Device ID).
 */
function sriovPhysfns(entries: readonly Entry[]): Map<Entry, string> {
  const out = new Map<Entry, string>();
  for (const e of entries) {
    if (e.spec.physfn === undefined) continue;
    const want = normBdf(e.spec.physfn);
    const pf = entries.find((x) => x !== e && x.parentPath === e.parentPath && normBdf(x.spec.bdf) === want);
    if (!pf) throw new Problem({ path: `${e.path}.physfn`, expected: 'the bdf of a function of the same endpoint', got: show(e.spec.physfn) });
    if (pf.spec.physfn !== undefined) throw new Problem({ path: `${e.path}.physfn`, expected: 'the bdf of a physical function of the same endpoint (it is itself a VF)', got: show(e.spec.physfn) });
    if (pf.kind !== 'endpoint' && pf.kind !== 'legacy_endpoint') throw new Problem({ path: `${e.path}.physfn`, expected: 'the bdf of a PCIe endpoint function of the same endpoint (SR-IOV needs PCIe)', got: show(e.spec.physfn) });
    if (e.kind !== 'endpoint') throw new Problem({ path: `${e.path}.kind`, expected: 'endpoint (an SR-IOV VF, physfn set, is a PCIe endpoint)', got: show(e.kind) });
    const vendor = (x: Entry) => x.spec.id?.slice(0, 4).toLowerCase();
    if (vendor(e) !== undefined && vendor(pf) !== undefined && vendor(e) !== vendor(pf)) {
      throw new Problem({ path: `${e.path}.id`, expected: `the PF's vendor ${vendor(pf)} (pci_iov_add_virtfn(): virtfn->vendor = dev->vendor)`, got: show(e.spec.id) });
    }
    out.set(e, want);
  }
  return out;
}

/** Builds the flat Topology from a parsed file, or returns the first located problem. */
export function buildTopology(spec: TopologySpec): { ok: true; topology: Topology } | { ok: false; problem: SpecProblem } {
  try {
    return { ok: true, topology: build(spec) };
  } catch (e) {
    if (e instanceof Problem) return { ok: false, problem: e.problem };
    throw e;
  }
}

function build(spec: TopologySpec): Topology {
  const entries = collect(spec);
  const byName = new Map<string, Entry>();
  const byBdf = new Map<string, Entry>();
  for (const e of entries) {
    if (byName.has(e.name)) throw new Problem({ path: `${e.path}.name`, expected: 'a name not used by another function', got: show(e.name) });
    byName.set(e.name, e);
    const bdf = e.spec.bdf.toLowerCase();
    if (byBdf.has(bdf)) throw new Problem({ path: `${e.path}.bdf`, expected: `a bdf not used elsewhere (${byBdf.get(bdf)!.path} has it)`, got: show(e.spec.bdf) });
    byBdf.set(bdf, e);
  }
  const bus = (e: Entry) => parseBdf(e.spec.bdf)!.bus;
  const children = new Map<string, Entry[]>();
  for (const e of entries) {
    if (e.parent === null) continue;
    const p = byName.get(e.parent);
    if (!p || !BRIDGES.includes(p.kind) || (p.kind === 'upstream_port' && e.kind !== 'downstream_port')) {
      throw new Problem({ path: `${e.parentPath}.parent`, expected: 'the name of a root port, switch downstream port or bridge', got: show(e.parent) });
    }
    children.set(p.name, [...(children.get(p.name) ?? []), e]);
  }
  // Secondary bus numbers: the bus of the children, or a fresh one for an empty port.
  const secondary = new Map<string, number>();
  let free = Math.max(0, ...entries.map(bus)) + 1;
  const usedAsSecondary = new Map<number, string>();
  for (const e of entries.filter((x) => BRIDGES.includes(x.kind))) {
    const kids = children.get(e.name) ?? [];
    const sec = kids.length > 0 ? bus(kids[0]!) : free++;
    for (const k of kids) {
      if (bus(k) !== sec) throw new Problem({ path: `${k.path}.bdf`, expected: `bus ${sec.toString(16).padStart(2, '0')} like the other functions below ${e.name}`, got: show(k.spec.bdf) });
    }
    if (sec === bus(e) || usedAsSecondary.has(sec)) {
      const k = kids[0]!;
      throw new Problem({ path: `${k.path}.bdf`, expected: `a bus of its own below ${e.name} (bus ${sec.toString(16)} is already ${usedAsSecondary.get(sec) ?? e.name}'s)`, got: show(k.spec.bdf) });
    }
    usedAsSecondary.set(sec, e.name);
    secondary.set(e.name, sec);
  }
  for (const e of entries) {
    if (e.parent === null && usedAsSecondary.has(bus(e))) {
      throw new Problem({ path: `${e.path}.bdf`, expected: `a root-bus address (bus ${bus(e).toString(16)} is below ${usedAsSecondary.get(bus(e))})`, got: show(e.spec.bdf) });
    }
  }
  const descendants = (name: string): Entry[] => (children.get(name) ?? []).flatMap((k) => [k, ...descendants(k.name)]);
  const barsOf = (e: Entry): Bar[] =>
    (e.spec.bars ?? []).map((b, i) => {
      const size = num(b.size);
      if (size <= 0) throw new Problem({ path: `${e.path}.bars[${i}].size`, expected: 'a positive size', got: show(b.size) });
      return { index: b.index ?? i, start: num(b.base), end: num(b.base) + size - 1 };
    });
  const physfnOf = sriovPhysfns(entries);
  // Header-type multifunction is a property of the PF's own slot: VFs do not count.
  const slotCount = new Map<string, number>();
  for (const e of entries.filter((x) => !physfnOf.has(x))) {
    const key = `${bus(e)}:${parseBdf(e.spec.bdf)!.devfn >> 3}`;
    slotCount.set(key, (slotCount.get(key) ?? 0) + 1);
  }
  const devices: PciDevice[] = entries.map((e) => {
    const { bus: b, devfn } = parseBdf(e.spec.bdf)!;
    const [vendor, device] = e.spec.id ? e.spec.id.split(':').map((x) => parseInt(x, 16)) : [-1, -1];
    const q = dmaAliasQuirksFor(vendor!, device!, devfn);
    const explicitAliases = (e.spec.dmaAliases ?? []).map((s) => parseBdf(`00:${s}`)!.devfn);
    const isBr = BRIDGES.includes(e.kind);
    let windows: MemRange[] | undefined;
    if (isBr) {
      if (e.spec.windows) windows = e.spec.windows.map((w) => ({ start: num(w.base), end: num(w.base) + num(w.size) - 1 }));
      else {
        const below = descendants(e.name).flatMap(barsOf);
        windows = below.length ? [{ start: Math.min(...below.map((x) => x.start)), end: Math.max(...below.map((x) => x.end)) }] : [];
      }
    }
    const subordinate = isBr ? Math.max(secondary.get(e.name)!, ...descendants(e.name).filter((d) => BRIDGES.includes(d.kind)).map((d) => secondary.get(d.name)!)) : undefined;
    const dev: PciDevice = {
      bdf: formatBdf(b, devfn),
      name: e.name,
      kind: e.kind,
      kindKnown: true,
      // pci_iov_add_virtfn() (drivers/pci/iov.c): `virtfn->multifunction = 0`.
      multifunction: physfnOf.has(e) ? false : (e.multifunction ?? (slotCount.get(`${b}:${devfn >> 3}`) ?? 0) > 1),
      acs: acsOf(e.path, e.spec.acs),
      bars: barsOf(e),
      ...(isBr ? { secondary: secondary.get(e.name)!, subordinate, windows } : {}),
      ats: e.spec.ats ?? false,
      pasid: e.spec.pasid ?? false,
      eetlpPrefixPath: e.spec.eetlpPrefix ?? true,
      vendor: vendor!,
      device: device!,
      classCode: e.spec.class ? parseInt(e.spec.class.padEnd(6, '0'), 16) : -1,
      dmaAliases: [...new Set([...q.aliases, ...explicitAliases])].sort((x, y) => x - y),
      flags: { ...q.flags, ...(e.spec.flags ?? {}) },
      quirkBroken: e.spec.quirkBroken ?? false,
      untrusted: e.spec.untrusted ?? false,
      ...(e.spec.driver ? { driver: e.spec.driver } : {}),
      ...(physfnOf.has(e) ? { physfn: physfnOf.get(e)! } : {}),
    };
    return dev;
  });
  // eetlp_prefix_path: the device and every bridge above it pass End-End TLP prefixes.
  const byBdfDev = new Map(devices.map((d) => [d.bdf, d]));
  const parentOf = (d: PciDevice) => devices.find((p) => p.secondary === parseInt(d.bdf.slice(0, 2), 16));
  const withPath = devices.map((d) => {
    let ok = d.eetlpPrefixPath;
    for (let p = parentOf(d); p && ok; p = parentOf(p)) ok = byBdfDev.get(p.bdf)!.eetlpPrefixPath;
    return { ...d, eetlpPrefixPath: ok };
  });
  withPath.sort((x, y) => (x.bdf < y.bdf ? -1 : x.bdf > y.bdf ? 1 : 0));
  return { name: spec.name, ...(spec.description ? { description: spec.description } : {}), devices: withPath, ivrs: spec.ivrs ?? false, rcPeerToPeer: spec.rcPeerToPeer ?? false };
}
