/**
 * Generates src/hardware/pciIdNames.ts: the pci.ids names of exactly the vendor:device IDs the
 * quirk tables match (acsQuirks.ts ACS_QUIRKS and ACS_QUIRK_CALLBACK_IDS, dmaAlias.ts
 * DMA_ALIAS_QUIRKS), and the names of their vendors, so parseLspci can recover the IDs of an
 * `lspci -vvv` dump printed without -nn. Deterministic: the same pci.ids gives the same file.
 *
 *   npx tsx scripts/gen-pci-id-names.ts [path/to/pci.ids]
 *
 * Default input: /usr/share/misc/pci.ids, else /usr/share/hwdata/pci.ids (Debian packages
 * pci.ids / hwdata, installed with pciutils).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ACS_QUIRKS, ACS_QUIRK_CALLBACK_IDS } from '../src/hardware/acsQuirks.ts';
import { DMA_ALIAS_QUIRKS } from '../src/hardware/dmaAlias.ts';

/** The parts of pci.ids the table needs. */
export interface PciIdsDb {
  readonly version: string;
  readonly date: string;
  /** vendor id (4 hex digits) → name. */
  readonly vendors: ReadonlyMap<string, string>;
  /** 'vvvv:dddd' → device name (without the vendor). */
  readonly devices: ReadonlyMap<string, string>;
}

/** The IDs the quirk tables match: vendors (all, and those with a PCI_ANY_ID row) and 'vvvv:dddd' pairs. */
export interface QuirkIds {
  readonly vendors: readonly string[];
  readonly vendorWide: readonly string[];
  readonly devices: readonly string[];
}

const hex4 = (n: number) => n.toString(16).padStart(4, '0');
const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

/** Parses pci.ids text: the vendor and device lines up to the class list (`C xx  name`). */
export function parsePciIds(text: string): PciIdsDb {
  const vendors = new Map<string, string>();
  const devices = new Map<string, string>();
  const version = /^#\s*Version:\s*(\S+)/m.exec(text)?.[1] ?? 'unknown';
  const date = /^#\s*Date:\s*(.+?)\s*$/m.exec(text)?.[1] ?? 'unknown';
  let vendor: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('C ')) break; // the class list follows the vendors
    let m: RegExpExecArray | null;
    if ((m = /^([0-9a-f]{4}) {2}(.+)$/.exec(line))) {
      vendor = m[1]!;
      vendors.set(vendor, m[2]!);
    } else if (vendor && (m = /^\t([0-9a-f]{4}) {2}(.+)$/.exec(line))) devices.set(`${vendor}:${m[1]!}`, m[2]!);
  }
  return { version, date, vendors, devices };
}

/** Collects the IDs of the quirk tables, read from the tables themselves. */
export function quirkIds(): QuirkIds {
  const vendors: string[] = [];
  const vendorWide: string[] = [];
  const devices: string[] = [];
  for (const q of ACS_QUIRKS) {
    vendors.push(hex4(q.vendor));
    if (q.device < 0) vendorWide.push(hex4(q.vendor));
    else devices.push(`${hex4(q.vendor)}:${hex4(q.device)}`);
  }
  for (const c of ACS_QUIRK_CALLBACK_IDS) for (const d of c.devices) devices.push(`${hex4(c.vendor)}:${hex4(d)}`);
  for (const q of DMA_ALIAS_QUIRKS) {
    vendors.push(hex4(q.vendor));
    for (const d of q.devices) devices.push(`${hex4(q.vendor)}:${hex4(d)}`);
  }
  return { vendors: sorted(vendors), vendorWide: sorted(vendorWide), devices: sorted(devices) };
}

/** How lspci prints a named device: "Vendor Name Device Name" (pciutils lib/names.c, "%s %s"). */
function fullName(db: PciIdsDb, id: string): string | undefined {
  const dev = db.devices.get(id);
  const ven = db.vendors.get(id.slice(0, 4));
  return dev !== undefined && ven !== undefined ? `${ven} ${dev}` : undefined;
}

/** Every printed "Vendor Device" string of the database → the IDs that print it. */
function printedNames(db: PciIdsDb): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const id of db.devices.keys()) {
    const n = fullName(db, id)!;
    out.set(n, [...(out.get(n) ?? []), id]);
  }
  return out;
}

interface VendorRow {
  readonly id: string;
  readonly name: string;
  readonly vendorWide: boolean;
  readonly sameName: readonly string[];
  readonly longerNames: readonly string[];
}

function vendorRows(db: PciIdsDb, ids: QuirkIds): VendorRow[] {
  const all = [...db.vendors.entries()];
  return ids.vendors.flatMap((id) => {
    const name = db.vendors.get(id);
    if (name === undefined) return [];
    const sameName = all.filter(([o, n]) => o !== id && n === name).map(([o]) => o).sort();
    const longerNames = sorted(all.filter(([, n]) => n.startsWith(`${name} `)).map(([, n]) => n));
    return [{ id, name, vendorWide: ids.vendorWide.includes(id), sameName, longerNames }];
  });
}

interface DeviceRows {
  readonly named: readonly [string, string][];
  /** Names printed by several IDs, all in the quirk tables and matched by the same quirks: kept. */
  readonly shared: number;
  readonly ambiguous: readonly string[];
  readonly unnamed: number;
}

/** Which quirks match an ID: two IDs with the same signature get the same quirk answers. */
function quirkSignature(id: string): string {
  const [v, d] = id.split(':').map((x) => parseInt(x, 16)) as [number, number];
  const acs = ACS_QUIRKS.filter((r) => r.vendor === v && r.device === d).map((r) => r.name);
  const callbacks = ACS_QUIRK_CALLBACK_IDS.filter((c) => c.vendor === v && c.devices.includes(d)).map((c) => c.name);
  const dma = DMA_ALIAS_QUIRKS.filter((r) => r.vendor === v && r.devices.includes(d)).map((r) => r.name);
  return JSON.stringify([sorted(acs), sorted(callbacks), sorted(dma)]);
}

/** A text several IDs print is kept only when every one of them is a quirk ID with the same quirks. */
function quirkEquivalent(printers: readonly string[], ids: QuirkIds): boolean {
  const sig = quirkSignature(printers[0]!);
  return printers.every((p) => ids.devices.includes(p) && quirkSignature(p) === sig);
}

function deviceRows(db: PciIdsDb, ids: QuirkIds): DeviceRows {
  const printed = printedNames(db);
  const named: [string, string][] = [];
  const ambiguous: string[] = [];
  let unnamed = 0;
  let shared = 0;
  for (const id of ids.devices) {
    const n = fullName(db, id);
    const printers = n === undefined ? [] : printed.get(n)!;
    if (n === undefined) unnamed++;
    else if (printers.length === 1 || quirkEquivalent(printers, ids)) {
      named.push([id, n]);
      if (printers.length > 1) shared++;
    } else ambiguous.push(`${id} (${printers.join(', ')}: "${n}")`);
  }
  return { named, shared, ambiguous, unnamed };
}

const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const list = (xs: readonly string[]) => `[${xs.map(q).join(', ')}]`;

function header(db: PciIdsDb, ids: QuirkIds, rows: DeviceRows, source: string): string[] {
  return [
    '/**',
    ' * GENERATED by scripts/gen-pci-id-names.ts; do not edit. Regenerate with',
    ' *   npx tsx scripts/gen-pci-id-names.ts [path/to/pci.ids]',
    ` * Source: pci.ids Version ${db.version}, Date ${db.date} (${source}; Debian packages pci.ids/hwdata).`,
    ' * The vendor:device IDs the quirk tables match (acsQuirks.ts ACS_QUIRKS and ACS_QUIRK_CALLBACK_IDS,',
    ' * dmaAlias.ts DMA_ALIAS_QUIRKS) with the text lspci prints for them without -n: "Vendor Name Device Name".',
    ` * ${ids.devices.length} IDs: ${rows.named.length} named (${rows.shared} of them share their text with other quirk IDs that the`,
    ` * same quirks match), ${rows.unnamed} not named by this pci.ids (lspci prints "Vendor Name Device dddd" for those),`,
    ` * ${rows.ambiguous.length} left out because an ID with other quirks, or none, prints the same text${rows.ambiguous.length ? ':' : '.'}`,
    ...rows.ambiguous.map((a) => ` *   ${a}`),
    ' * Vendors: every vendor of a quirk row; `vendorWide` when a row matches any device of it (PCI_ANY_ID);',
    ' * `sameName`: other vendor IDs pci.ids gives the same name; `longerNames`: other vendor names that start',
    ' * with this one (a line starting with those is not this vendor).',
    ' */',
  ];
}

/** Renders src/hardware/pciIdNames.ts. */
export function renderPciIdNames(db: PciIdsDb, ids: QuirkIds, source: string): string {
  const rows = deviceRows(db, ids);
  const vendors = vendorRows(db, ids).map(
    (v) => `  ${q(v.id)}: { name: ${q(v.name)}, vendorWide: ${v.vendorWide}, sameName: ${list(v.sameName)}, longerNames: ${list(v.longerNames)} },`,
  );
  return [
    ...header(db, ids, rows, source),
    '',
    '/** A quirk vendor as pci.ids names it. */',
    'export interface PciVendorName {',
    '  readonly name: string;',
    '  readonly vendorWide: boolean;',
    '  readonly sameName: readonly string[];',
    '  readonly longerNames: readonly string[];',
    '}',
    '',
    `export const PCI_IDS_VERSION = ${q(db.version)};`,
    `export const PCI_IDS_DATE = ${q(db.date)};`,
    '',
    '/** Vendor id (4 hex digits) → its pci.ids name. */',
    'export const PCI_VENDOR_NAMES: Readonly<Record<string, PciVendorName>> = {',
    ...vendors,
    '};',
    '',
    '/** \'vvvv:dddd\' → "Vendor Name Device Name" as lspci prints it. */',
    'export const PCI_DEVICE_NAMES: Readonly<Record<string, string>> = {',
    ...rows.named.map(([id, n]) => `  ${q(id)}: ${q(n)},`),
    '};',
    '',
  ].join('\n');
}

function defaultInput(): string {
  const found = ['/usr/share/misc/pci.ids', '/usr/share/hwdata/pci.ids'].find((p) => existsSync(p));
  if (!found) throw new Error('no pci.ids found: apt-get install -y pciutils (or hwdata), or pass the path');
  return found;
}

function main(argv: readonly string[]): void {
  const input = argv[0] ?? defaultInput();
  const out = fileURLToPath(new URL('../src/hardware/pciIdNames.ts', import.meta.url));
  const text = renderPciIdNames(parsePciIds(readFileSync(input, 'utf8')), quirkIds(), input);
  writeFileSync(out, text);
  process.stdout.write(`wrote ${out} from ${input}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
