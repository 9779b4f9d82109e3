/**
 * Recovers a vendor:device ID from the names an `lspci -vvv` device line prints without -n
 * (`00:1b.0 PCI bridge: Intel Corporation 200 Series PCH PCI Express Root Port #17 (rev f0)`),
 * for the IDs the quirk tables match (pciIdNames.ts, generated from one pci.ids version).
 * pciutils (lib/names.c) prints "Vendor Device" when pci.ids names both, "Vendor Device dddd"
 * when it names only the vendor, and "Device vvvv:dddd" when it names neither: all three are
 * read. A dump printed with another pci.ids version can name a device differently: then only
 * its vendor is recovered (device unknown), or nothing.
 */
import { PCI_DEVICE_NAMES, PCI_IDS_VERSION, PCI_VENDOR_NAMES } from './pciIdNames.ts';

/** How the ID was read from the text. */
export type IdFromNameHow = 'device name' | 'Device dddd' | 'Device vvvv:dddd' | 'vendor name';

/** An ID recovered from a device line. `device` is -1 when only the vendor is known. */
export interface IdFromName {
  readonly vendor: number;
  readonly device: number;
  readonly how: IdFromNameHow;
  /** The "Vendor Device" text that was matched. */
  readonly text: string;
  /** Other quirk IDs pci.ids prints with the same text (the same quirks match them all). */
  readonly sameText: readonly string[];
}

/** The pci.ids version the names come from. */
export const PCI_ID_NAMES_VERSION = PCI_IDS_VERSION;

const SUFFIX = /\s*\((?:rev [0-9a-fA-F]{2}|prog-if [0-9a-fA-F]{2}(?: \[[^\]]*\])?)\)$/;

/** The "Vendor Device" text of a device line after its `BB:DD.F `: no class, no (rev)/(prog-if). */
export function deviceNameText(rest: string): string {
  const colon = rest.indexOf(': ');
  let t = colon >= 0 ? rest.slice(colon + 2) : rest;
  for (let prev = ''; prev !== t; ) {
    prev = t;
    t = t.replace(SUFFIX, '');
  }
  return t.trim();
}

let byText: Map<string, string[]> | undefined;
function idsByText(): Map<string, string[]> {
  if (!byText) {
    byText = new Map();
    for (const [id, name] of Object.entries(PCI_DEVICE_NAMES).sort(([a], [b]) => a.localeCompare(b))) byText.set(name, [...(byText.get(name) ?? []), id]);
  }
  return byText;
}

const idOf = (id: string) => ({ vendor: parseInt(id.slice(0, 4), 16), device: parseInt(id.slice(5), 16) });

/** The table vendor whose name begins the text (longest first), unless the name is shared or a longer vendor name matches. */
function vendorOf(text: string): { id: string; rest: string } | undefined {
  const starts = (name: string) => text === name || text.startsWith(`${name} `);
  const hits = Object.entries(PCI_VENDOR_NAMES)
    .filter(([, v]) => starts(v.name) && v.sameName.length === 0 && !v.longerNames.some(starts))
    .sort(([, a], [, b]) => b.name.length - a.name.length);
  const hit = hits[0];
  return hit ? { id: hit[0], rest: text.slice(hit[1].name.length).trim() } : undefined;
}

/** Reads the ID from the "Vendor Device" text of a device line; null when it names no quirk vendor. */
export function pciIdFromName(text: string): IdFromName | null {
  const exact = idsByText().get(text);
  if (exact) return { ...idOf(exact[0]!), how: 'device name', text, sameText: exact.slice(1) };
  const bare = /^Device ([0-9a-fA-F]{4}):([0-9a-fA-F]{4})$/.exec(text);
  if (bare) return { vendor: parseInt(bare[1]!, 16), device: parseInt(bare[2]!, 16), how: 'Device vvvv:dddd', text, sameText: [] };
  const v = vendorOf(text);
  if (!v) return null;
  const vendor = parseInt(v.id, 16);
  const num = /^Device ([0-9a-fA-F]{4})$/.exec(v.rest);
  if (num) return { vendor, device: parseInt(num[1]!, 16), how: 'Device dddd', text, sameText: [] };
  return { vendor, device: -1, how: 'vendor name', text, sameText: [] };
}
