/** What parseLspci.ts reads from an `lspci -vvv` dump before it builds a topology, and what lspciShape.ts checks. */
import type { DeviceKind, MemRange } from './types.ts';
import type { IdFromName } from './pciIdFromName.ts';

/** One device block as read from the text (parseLspci.ts; lspciShape.ts checks it). */
export interface Raw {
  bdf: string;
  line: number;
  classCode: number;
  vendor: number;
  device: number;
  group?: number;
  secondary?: number;
  subordinate?: number;
  windows: MemRange[];
  bars: { index: number; start: number; end: number }[];
  express?: DeviceKind;
  capsVisible: boolean;
  capsDenied: boolean;
  acsCap?: number;
  acsCtl?: number;
  ats: boolean;
  pasid: boolean;
  eetlp?: boolean;
  driver?: string;
  fromName?: IdFromName;
  /** The device line names a PCI bridge (class 0604). */
  bridgeHeader: boolean;
  /** Indented lines below the device line, and how many of them were read. */
  details: number;
  read: number;
  /** `Status: Cap+` / `Cap-`, when printed (lspci -vv and more). */
  statusCap?: boolean;
  /** An Access Control Services capability line was seen. */
  acsListed: boolean;
  /** A `Capabilities: <...>` line other than `<access denied>` (the list could not be read). */
  capsOther?: boolean;
}

/** Lines after the first device, at its indentation, that are neither device lines nor comments. */
export interface OtherLines {
  count: number;
  first: { readonly line: number; readonly text: string } | null;
}
