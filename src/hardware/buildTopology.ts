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
import { formatBdf, hex as hexText, parseBdf } from './pciTree.ts';

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
  /** The switch a switch upstream port stands for (its name in cycle messages). */
  readonly owner?: string;
}

const BRIDGES: DeviceKind[] = ['root_port', 'upstream_port', 'downstream_port', 'pcie_to_pci_bridge', 'pci_bridge'];
const show = (v: unknown): string => JSON.stringify(v);
/** Addresses are JS numbers: exact below 2^53 only (types.ts MemRange). */
const ADDRESS_LIMIT = 2 ** 53;
const ADDRESS_LIMIT_TEXT = '2^53 (0x20000000000000; the model computes addresses exactly only below it)';

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

/** An address or size field as a number, refused (located) when it is not exact below 2^53. */
function exact(path: string, v: number | string): number {
  const big = typeof v === 'number' ? (Number.isSafeInteger(v) ? BigInt(v) : null) : BigInt(v);
  if (big === null || big >= BigInt(ADDRESS_LIMIT)) {
    const bits = big !== null && big >= 1n << 64n ? ' (it does not even fit in 64 bits)' : '';
    throw new Problem({ path, expected: `a value below ${ADDRESS_LIMIT_TEXT}`, got: `${show(v)}${bits}` });
  }
  return Number(big);
}

/** A `{ base, size }` range as a MemRange: both exact, size positive, the end below 2^53. */
function rangeOf(path: string, r: { base: number | string; size: number | string }): MemRange {
  const start = exact(`${path}.base`, r.base);
  const size = exact(`${path}.size`, r.size);
  if (size <= 0) throw new Problem({ path: `${path}.size`, expected: 'a positive size', got: show(r.size) });
  if (start + size > ADDRESS_LIMIT) throw new Problem({ path: `${path}.size`, expected: `a size that ends the range below ${ADDRESS_LIMIT_TEXT}`, got: `${show(r.size)} from base ${show(r.base)}` });
  return { start, end: start + size - 1 };
}

/** Refuses a parent chain that comes back to where it started (a switch below one of its own ports). */
function checkNoCycle(entries: readonly Entry[], byName: ReadonlyMap<string, Entry>): void {
  const label = (e: Entry) => e.owner ?? e.name;
  for (const e of entries) {
    const chain: Entry[] = [e];
    const seen = new Set<Entry>(chain);
    for (let p = e.parent === null ? undefined : byName.get(e.parent); p; p = p.parent === null ? undefined : byName.get(p.parent)) {
      if (p === e) {
        const what = e.kind === 'upstream_port' ? 'switch' : 'bridge';
        const cycle = [...chain, e].map(label).join(' -> ');
        throw new Problem({ path: `${e.parentPath}.parent`, expected: `a parent that is not below this ${what} itself`, got: `${show(e.parent)} (cycle ${cycle})` });
      }
      if (seen.has(p)) break; // a cycle further up: reported from one of its own members
      seen.add(p);
      chain.push(p);
    }
  }
}

/** Refuses two BARs (of two functions, or of one) that overlap: both would claim the same addresses. */
function checkBarsApart(entries: readonly Entry[], barsOf: (e: Entry) => Bar[]): void {
  const all = entries.flatMap((e, order) => barsOf(e).map((b, i) => ({ ...b, order, path: `${e.path}.bars[${i}]`, who: `${e.name} (${e.spec.bdf})` })));
  all.sort((x, y) => x.start - y.start || x.order - y.order);
  let widest: (typeof all)[number] | undefined;
  for (const b of all) {
    if (widest && b.start <= widest.end) {
      const [later, earlier] = b.order >= widest.order ? [b, widest] : [widest, b];
      const span = (x: Bar) => `${hexText(x.start)}-${hexText(x.end)}`;
      throw new Problem({
        path: later.path,
        expected: 'a BAR that overlaps no other BAR (two BARs would claim the same addresses)',
        got: `${span(later)} of ${later.who}, which overlaps ${earlier.path} ${span(earlier)} of ${earlier.who}`,
      });
    }
    if (!widest || b.end > widest.end) widest = b;
  }
}

function collect(spec: TopologySpec): Entry[] {
  const out: Entry[] = [];
  spec.rootPorts?.forEach((p, i) => out.push({ path: `rootPorts[${i}]`, parentPath: `rootPorts[${i}]`, name: p.name, kind: 'root_port', parent: null, spec: p }));
  spec.switches?.forEach((s, i) => {
    const usp = s.upstream.name ?? `${s.name}-usp`;
    out.push({ path: `switches[${i}].upstream`, parentPath: `switches[${i}]`, name: usp, kind: 'upstream_port', parent: s.parent, spec: s.upstream, owner: s.name });
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
    const kids = children.get(p.name);
    if (kids) kids.push(e);
    else children.set(p.name, [e]);
  }
  checkNoCycle(entries, byName);
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
  const barsOf = (e: Entry): Bar[] => (e.spec.bars ?? []).map((b, i) => ({ index: b.index ?? i, ...rangeOf(`${e.path}.bars[${i}]`, b) }));
  checkBarsApart(entries, barsOf);
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
      if (e.spec.windows) windows = e.spec.windows.map((w, i) => rangeOf(`${e.path}.windows[${i}]`, w));
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
      ...('externalFacing' in e.spec && e.spec.externalFacing ? { externalFacing: true } : {}),
      ...(e.spec.driver ? { driver: e.spec.driver } : {}),
      ...(physfnOf.has(e) ? { physfn: physfnOf.get(e)! } : {}),
    };
    return dev;
  });
  // eetlp_prefix_path: the device and every bridge above it pass End-End TLP prefixes.
  const bySecondary = new Map<number, PciDevice>();
  for (const d of devices) if (d.secondary !== undefined && !bySecondary.has(d.secondary)) bySecondary.set(d.secondary, d);
  const parentOf = (d: PciDevice) => bySecondary.get(parseInt(d.bdf.slice(0, 2), 16));
  const withPath = devices.map((d) => {
    let ok = d.eetlpPrefixPath;
    for (let p = parentOf(d); p && ok; p = parentOf(p)) ok = p.eetlpPrefixPath;
    return { ...d, eetlpPrefixPath: ok, untrusted: untrustedAtProbe(d, parentOf) };
  });
  withPath.sort((x, y) => (x.bdf < y.bdf ? -1 : x.bdf > y.bdf ? 1 : 0));
  return { name: spec.name, ...(spec.description ? { description: spec.description } : {}), devices: withPath, ivrs: spec.ivrs ?? false, rcPeerToPeer: spec.rcPeerToPeer ?? false };
}

/**
 * pdev->untrusted as set_pcie_untrusted (drivers/pci/probe.c, v5.7 on) leaves it: set by the file,
 * or the upstream bridge is untrusted or external-facing (pci_acpi_set_external_facing marks root
 * ports), so everything below an external-facing root port is untrusted, bridges included.
 * Simplification: newer kernels narrow the external-facing case with arch_pci_dev_is_removable
 * (x86: a discrete Thunderbolt controller directly below the port is trusted, what is tunneled
 * below it is not) [I]; the model marks the whole subtree.
 */
function untrustedAtProbe(d: PciDevice, parentOf: (d: PciDevice) => PciDevice | undefined): boolean {
  if (d.untrusted) return true;
  const p = parentOf(d);
  return p !== undefined && (p.externalFacing === true || untrustedAtProbe(p, parentOf));
}

