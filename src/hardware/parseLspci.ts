/**
 * Rebuilds a Topology from the text of `lspci -vvv` / `lspci -nnvvv` (pciutils):
 * device header lines, bridges' bus ranges and windows, Express port types, ACS
 * capability/control lines, ATS/PASID capabilities, IDs and `IOMMU group:` lines.
 * `Capabilities: <access denied>` (lspci without root) makes the ACS state and the
 * port type unknown: they are marked so, never guessed silently.
 * Only the first device's PCI segment is modelled (groups never span segments); devices
 * on other segments are skipped with a warning.
 * Lines starting with `#` before the first device are a header (fixture provenance).
 * Indentation may be tabs or spaces of any width (dumps pasted from mail or the web lose their
 * tabs); a dump of which no detail line could be read, or listing an address twice, is refused
 * (lspciShape.ts: also the warnings about device blocks that look cut short).
 * Without -n the device lines carry names, not IDs: the IDs the quirk tables match are read
 * back from the names (pciIdFromName.ts), and each such device is reported in the warnings.
 */
import type { AcsState, DeviceKind, MemRange, PciDevice, Topology } from './types.ts';
import { ACS } from './types.ts';
import type { TopologyError } from './parseTopology.ts';
import { dmaAliasQuirksFor } from './dmaAlias.ts';
import { formatBdf } from './pciTree.ts';
import type { IdFromName, IdFromNameHow } from './pciIdFromName.ts';
import { PCI_ID_NAMES_VERSION, deviceNameText, pciIdFromName } from './pciIdFromName.ts';
import { checkLspciShape } from './lspciShape.ts';
import type { OtherLines, Raw } from './lspciRaw.ts';

/** One `IOMMU group:` as recorded by lspci. */
export interface RecordedGroup {
  readonly id: number;
  readonly devices: readonly string[];
}

/** What the lspci text gave us. */
export interface LspciParse {
  readonly topology: Topology;
  /** Recorded groups, or null when the dump has no `IOMMU group:` lines. */
  readonly recordedGroups: readonly RecordedGroup[] | null;
  /** bdfs whose ACS capability could not be read (`<access denied>`). */
  readonly unknownAcs: readonly string[];
  /** bdfs whose port type was inferred from position. */
  readonly inferredKinds: readonly string[];
  /** Devices whose vendor:device ID was read from their names (lspci without -n). */
  readonly idsFromNames: readonly IdRecovered[];
  readonly warnings: readonly string[];
}

/** One device whose ID came from its name: `id` is `vvvv:dddd`, or `vvvv:????` when only the vendor is known. */
export interface IdRecovered {
  readonly bdf: string;
  readonly id: string;
  readonly how: IdFromNameHow;
  readonly text: string;
  /** Other quirk IDs printed with the same text (matched by the same quirks). */
  readonly sameText: readonly string[];
}


// `lspci -PP` prefixes the path from the root: 00:1c.4/07:00.0/08:00.0 — we keep the last element.
const HEADER = /^(?:([0-9a-fA-F]{4,5}):)?(?:[0-9a-fA-F]{2}:[0-1][0-9a-fA-F]\.[0-7]\/)*([0-9a-fA-F]{2}):([0-1][0-9a-fA-F])\.([0-7]) (.*)$/;
const EXPRESS: [RegExp, DeviceKind][] = [
  [/Root Port/, 'root_port'],
  [/Upstream Port/, 'upstream_port'],
  [/Downstream Port/, 'downstream_port'],
  [/Legacy Endpoint/, 'legacy_endpoint'],
  [/Root Complex Integrated Endpoint/, 'rc_endpoint'],
  [/Root Complex Event Collector/, 'rc_event_collector'],
  [/PCI-Express to PCI\/PCI-X Bridge/, 'pcie_to_pci_bridge'],
  [/PCI\/PCI-X to PCI-Express Bridge/, 'pci_to_pcie_bridge'],
  [/Endpoint/, 'endpoint'],
];
const ACS_WORDS: [string, number][] = [
  ['SrcValid', ACS.SV],
  ['TransBlk', ACS.TB],
  ['ReqRedir', ACS.RR],
  ['CmpltRedir', ACS.CR],
  ['UpstreamFwd', ACS.UF],
  ['EgressCtrl', ACS.EC],
  ['DirectTrans', ACS.DT],
];
const SIZE_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

function acsWord(text: string): number {
  let m = 0;
  for (const [w, bit] of ACS_WORDS) if (new RegExp(`${w}\\+`).test(text)) m |= bit;
  return m;
}

function parseHeader(rest: string): { classCode: number; vendor: number; device: number; fromName?: IdFromName } {
  // lspci -n: "0604: 8086:1901 (rev 07)"
  const numeric = /^([0-9a-fA-F]{4}): ([0-9a-fA-F]{4}):([0-9a-fA-F]{4})/.exec(rest);
  if (numeric) return { classCode: parseInt(numeric[1]!, 16) << 8, vendor: parseInt(numeric[2]!, 16), device: parseInt(numeric[3]!, 16) };
  // lspci -nn: "PCI bridge [0604]: Intel Corporation ... [8086:1901] (rev 03)"
  const cls = /\[([0-9a-fA-F]{4})\]:/.exec(rest);
  const ids = [...rest.matchAll(/\[([0-9a-fA-F]{4}):([0-9a-fA-F]{4})\]/g)].pop();
  const classCode = cls ? parseInt(cls[1]!, 16) << 8 : -1;
  if (ids) return { classCode, vendor: parseInt(ids[1]!, 16), device: parseInt(ids[2]!, 16) };
  // lspci -vvv: "PCI bridge: Intel Corporation 200 Series PCH PCI Express Root Port #17 (rev f0)"
  const fromName = pciIdFromName(deviceNameText(rest));
  return fromName ? { classCode, vendor: fromName.vendor, device: fromName.device, fromName } : { classCode, vendor: -1, device: -1 };
}

const hex4 = (n: number) => (n < 0 ? '????' : n.toString(16).padStart(4, '0'));

/** The devices whose IDs were read from names, and the warnings that say so. */
function idsFromNames(raws: readonly Raw[]): { recovered: IdRecovered[]; warnings: string[] } {
  const recovered = raws.flatMap((r) =>
    r.fromName ? [{ bdf: r.bdf, id: `${hex4(r.fromName.vendor)}:${hex4(r.fromName.device)}`, how: r.fromName.how, text: r.fromName.text, sameText: r.fromName.sameText }] : [],
  );
  const warnings: string[] = [];
  const full = recovered.filter((x) => x.how !== 'vendor name');
  for (const x of full) {
    const same = x.sameText.length ? ` (pci.ids prints ${x.sameText.join(', ')} the same way; the same quirks match them)` : '';
    warnings.push(`${x.bdf}: ID ${x.id} read from its name "${x.text}" (${x.how}, pci.ids ${PCI_ID_NAMES_VERSION})${same}`);
  }
  const vendorOnly = recovered.filter((x) => x.how === 'vendor name');
  for (const v of [...new Set(vendorOnly.map((x) => x.id.slice(0, 4)))].sort()) {
    const at = vendorOnly.filter((x) => x.id.startsWith(v)).map((x) => x.bdf);
    warnings.push(`vendor ${v} read from the names of ${at.length} device(s), device ID unknown (no quirk ID of pci.ids ${PCI_ID_NAMES_VERSION} prints that name): ${at.join(' ')}`);
  }
  return { recovered, warnings };
}

/** Leading whitespace of a line: its width (a tab to the next multiple of 8) and its length; null for a blank line. */
function indentOf(line: string): { width: number; chars: number } | null {
  let width = 0;
  let chars = 0;
  for (; chars < line.length; chars++) {
    const c = line[chars];
    if (c === ' ') width++;
    else if (c === '\t') width = (width + 8) & ~7;
    else return { width, chars };
  }
  return null;
}

/**
 * One detail line (indented below a device) read into `cur`: 'line' when it is a line lspci
 * prints on a line of its own, 'fragment' when only a word in it was used (EETLPPrefix),
 * null when nothing in it is used.
 */
function readDetail(cur: Raw, t: string, inAcs: boolean): 'line' | 'fragment' | null {
  let m: RegExpExecArray | null;
  if ((m = /^IOMMU group: (\d+)/.exec(t))) cur.group = parseInt(m[1]!, 10);
  else if ((m = /^Bus: primary=([0-9a-f]{2}), secondary=([0-9a-f]{2}), subordinate=([0-9a-f]{2})/.exec(t))) {
    cur.secondary = parseInt(m[2]!, 16);
    cur.subordinate = parseInt(m[3]!, 16);
  } else if ((m = /^Region (\d): Memory at ([0-9a-f]+) .*\[size=(\d+)([KMGT]?)\]/.exec(t))) {
    const start = parseInt(m[2]!, 16);
    cur.bars.push({ index: parseInt(m[1]!, 10), start, end: start + parseInt(m[3]!, 10) * SIZE_UNITS[m[4]!]! - 1 });
  } else if ((m = /^(?:Prefetchable memory|Memory) behind bridge: ([0-9a-f]+)-([0-9a-f]+)/.exec(t))) {
    const start = parseInt(m[1]!, 16);
    const end = parseInt(m[2]!, 16);
    if (end >= start && !/\[disabled\]/.test(t)) cur.windows.push({ start, end });
  } else if (t === 'Capabilities: <access denied>') cur.capsDenied = true;
  else if ((m = /^Capabilities: \[[0-9a-f]+(?: v\d+)?\] (.*)$/.exec(t))) {
    cur.capsVisible = true;
    const cap = m[1]!;
    if (cap.startsWith('Access Control Services')) cur.acsListed = true;
    if (cap.startsWith('Express')) cur.express = EXPRESS.find(([re]) => re.test(cap))?.[1];
    if (cap.startsWith('Address Translation Service')) cur.ats = true;
    if (cap.startsWith('Process Address Space ID')) cur.pasid = true;
  } else if (t.startsWith('Capabilities: <')) cur.capsOther = true; // <chain broken>, <unavailable>...
  else if (inAcs && t.startsWith('ACSCap:')) cur.acsCap = acsWord(t);
  else if (inAcs && t.startsWith('ACSCtl:')) cur.acsCtl = acsWord(t);
  else if ((m = /EETLPPrefix([+-])/.exec(t))) {
    cur.eetlp = m[1] === '+';
    return 'fragment';
  } else if ((m = /^Kernel driver in use: (\S+)/.exec(t))) cur.driver = m[1]!;
  else if ((m = /^Status: Cap([+-])/.exec(t))) cur.statusCap = m[1] === '+';
  else return null;
  return 'line';
}

type Fail = { ok: false; error: TopologyError };

/**
 * The device blocks of the text. A device line may be indented (a dump pasted into a mail or a
 * web page); every line indented more than the first device line belongs to the device above it,
 * and a line indented more than that device's last `Capabilities:` line is a detail of that
 * capability. Tabs and spaces of any width are accepted, so a dump whose tabs became spaces
 * reads the same. Refuses an address listed twice (two dumps concatenated).
 */
function scanLines(text: string, fail: (path: string, expected: string, got: string) => Fail): { raws: Raw[]; warnings: string[]; otherLines: OtherLines } | Fail {
  const raws: Raw[] = [];
  const warnings: string[] = [];
  const firstLine = new Map<string, number>();
  let cur: Raw | undefined;
  let deviceIndent: number | undefined;
  let capIndent = -1;
  let inAcs = false;
  const otherLines: OtherLines = { count: 0, first: null };
  const lines = text.split(/\r?\n/);
  // One PCI segment is modelled: the first device's (groups never span segments).
  let segment: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const indent = indentOf(line);
    if (!indent) continue;
    const body = line.slice(indent.chars);
    const h = deviceIndent === undefined || indent.width <= deviceIndent ? HEADER.exec(body) : null;
    if (h) {
      deviceIndent ??= indent.width;
      const seg = parseInt(h[1] ?? '0', 16);
      segment ??= seg;
      capIndent = -1;
      inAcs = false;
      if (seg !== segment) {
        warnings.push(`line ${i + 1}: ${h[1]}:${h[2]}:${h[3]}.${h[4]} is on PCI segment ${h[1]}; only the first device's segment (${segment.toString(16).padStart(4, '0')}) is modelled, skipped`);
        cur = undefined;
        continue;
      }
      const bdf = formatBdf(parseInt(h[2]!, 16), (parseInt(h[3]!, 16) << 3) | parseInt(h[4]!, 10));
      const first = firstLine.get(bdf);
      if (first !== undefined) return fail(`line ${i + 1}`, 'each device address once (two dumps concatenated?)', `${bdf} again (first at line ${first})`);
      firstLine.set(bdf, i + 1);
      cur = { bdf, line: i + 1, ...parseHeader(h[5]!), bridgeHeader: /^PCI bridge\b/.test(h[5]!), windows: [], bars: [], capsVisible: false, capsDenied: false, ats: false, pasid: false, details: 0, read: 0, acsListed: false };
      raws.push(cur);
      continue;
    }
    if (deviceIndent === undefined) continue; // before the first device: a header
    if (indent.width <= deviceIndent) {
      if (!body.startsWith('#')) {
        otherLines.count++;
        otherLines.first ??= { line: i + 1, text: body };
      }
      continue;
    }
    if (!cur) continue; // a skipped device's lines
    const t = body.trim();
    if (indent.width <= capIndent) inAcs = false;
    cur.details++;
    if (readDetail(cur, t, inAcs) === 'line') cur.read++;
    const cap = /^Capabilities: \[[0-9a-f]+(?: v\d+)?\] (.*)$/.exec(t);
    if (cap) {
      capIndent = indent.width;
      inAcs = cap[1]!.startsWith('Access Control Services');
    }
  }
  return { raws, warnings, otherLines };
}

/**
 * The first device line when the text reads like `lspci` output (its first line that is neither
 * blank nor a `#` comment is a device line like "00:1c.0 PCI bridge: ..."), else null: for a
 * hint when such a text is given where a topology file is expected.
 */
export function lspciDeviceLine(text: string): string | null {
  for (const line of text.split(/\r?\n/, 200)) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    return HEADER.test(t) ? t : null;
  }
  return null;
}

/** Parses lspci -vvv text; `fileName` is used in errors and as the topology name. */
export function parseLspci(text: string, fileName: string): { ok: true; value: LspciParse } | { ok: false; error: TopologyError } {
  const fail = (path: string, expected: string, got: string): Fail => ({ ok: false as const, error: { file: fileName, path, expected, got, message: `${fileName}: ${path}: expected ${expected}, got ${got}` } });
  if (text.trim() === '') return fail('(root)', 'lspci -vvv output', 'an empty file');
  // Control characters (terminal escapes, NUL) and bidi overrides never belong in a dump, and
  // would reach the report through driver names and warnings: each becomes '?'.
  const scan = scanLines(text.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g, '?'), fail);
  if ('ok' in scan) return scan;
  const { raws, warnings } = scan;
  if (raws.length === 0) return fail('(root)', 'lspci -vvv output (device lines like "00:1c.0 PCI bridge: ...")', 'no device lines');
  const shape = checkLspciShape(text, raws, scan.otherLines);
  if ('refuse' in shape) return fail('(root)', shape.refuse.expected, shape.refuse.got);
  warnings.push(...shape.warnings);

  const isBridgeRaw = (r: Raw) => r.secondary !== undefined || (r.classCode >> 8) === 0x0604;
  const bySecondary = new Map<number, Raw>();
  const slots = new Map<string, number>();
  for (const r of raws) {
    if (r.secondary !== undefined && !bySecondary.has(r.secondary)) bySecondary.set(r.secondary, r);
    slots.set(r.bdf.slice(0, 5), (slots.get(r.bdf.slice(0, 5)) ?? 0) + 1);
  }
  const parentOf = (r: Raw) => bySecondary.get(parseInt(r.bdf.slice(0, 2), 16));
  const slotCount = (r: Raw) => slots.get(r.bdf.slice(0, 5))!;
  const unknownAcs: string[] = [];
  const inferredKinds: string[] = [];
  const kindOf = (r: Raw, depth = 0): DeviceKind => {
    if (r.express) return r.express;
    if (r.capsVisible && !r.capsDenied) return isBridgeRaw(r) ? 'pci_bridge' : 'pci_device';
    if (!r.capsDenied && !r.capsVisible) {
      // No capability list at all (Status: Cap-): a conventional function.
      return isBridgeRaw(r) ? 'pci_bridge' : 'pci_device';
    }
    const p = parentOf(r);
    const pk = p && depth < 32 ? kindOf(p, depth + 1) : undefined;
    if (isBridgeRaw(r)) {
      if (!p) return 'root_port';
      if (pk === 'upstream_port') return 'downstream_port';
      const childBridges = raws.some((c) => parentOf(c) === r && isBridgeRaw(c));
      return childBridges ? 'upstream_port' : 'pcie_to_pci_bridge';
    }
    // Root-bus functions of PC chipsets are mostly conventional (no Express
    // capability); conventional is also the conservative reading (never isolated).
    if (!p) return 'pci_device';
    if (pk === 'pcie_to_pci_bridge' || pk === 'pci_bridge') return 'pci_device';
    return 'endpoint';
  };
  const devices: PciDevice[] = raws.map((r) => {
    const kind = kindOf(r);
    const devfn = ((parseInt(r.bdf.slice(3, 5), 16) << 3) | parseInt(r.bdf.slice(6), 10)) & 0xff;
    let acs: AcsState;
    if (r.capsDenied) {
      acs = 'unknown';
      unknownAcs.push(r.bdf);
    } else if (r.acsCap !== undefined) acs = { cap: r.acsCap, ctrl: (r.acsCtl ?? 0) & r.acsCap };
    else acs = null;
    if (r.capsDenied) inferredKinds.push(r.bdf);
    const q = dmaAliasQuirksFor(r.vendor, r.device, devfn);
    const bridge = r.secondary !== undefined;
    return {
      bdf: r.bdf,
      name: r.bdf,
      kind,
      kindKnown: !r.capsDenied,
      multifunction: slotCount(r) > 1 || (devfn & 7) !== 0,
      acs,
      bars: r.bars,
      ...(bridge ? { secondary: r.secondary!, subordinate: r.subordinate!, windows: r.windows } : {}),
      ats: r.ats,
      pasid: r.pasid,
      eetlpPrefixPath: r.eetlp ?? true,
      vendor: r.vendor,
      device: r.device,
      classCode: r.classCode,
      dmaAliases: q.aliases,
      flags: q.flags,
      quirkBroken: false,
      untrusted: false,
      ...(r.driver ? { driver: r.driver } : {}),
      ...(r.group !== undefined ? { recordedGroup: r.group } : {}),
    };
  });
  const fromNames = idsFromNames(raws);
  warnings.push(...fromNames.warnings);
  const noId = devices.filter((d) => d.vendor < 0 || d.device < 0).length;
  if (noId > 0) warnings.push(`${noId} device(s) without a full vendor:device ID (run lspci -nnvvv): device-specific ACS and DMA alias quirks cannot match them`);
  devices.sort((a, b) => (a.bdf < b.bdf ? -1 : a.bdf > b.bdf ? 1 : 0));
  const withGroup = devices.filter((d) => d.recordedGroup !== undefined);
  const recordedGroups: RecordedGroup[] | null = withGroup.length
    ? [...new Set(withGroup.map((d) => d.recordedGroup!))].sort((a, b) => a - b).map((id) => ({ id, devices: withGroup.filter((d) => d.recordedGroup === id).map((d) => d.bdf) }))
    : null;
  // Simplification: we take ACPI IVRS (read by pci_quirk_amd_sb_acs) to be present when
  // the machine is AMD and has IOMMU groups.
  const ivrs = recordedGroups !== null && devices.some((d) => d.vendor === 0x1022 || d.vendor === 0x1002);
  const topology: Topology = { name: fileName, devices, ivrs, rcPeerToPeer: false };
  return { ok: true, value: { topology, recordedGroups, unknownAcs, inferredKinds, idsFromNames: fromNames.recovered, warnings } };
}
