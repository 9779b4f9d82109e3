/**
 * The topology file format (JSON or YAML), as a zod schema. A file names root ports,
 * switches (upstream port + downstream ports), endpoints with functions, PCIe-to-PCI
 * bridges with conventional devices, and integrated (root-bus) functions; children
 * point at their parent port by name. buildTopology() turns it into a flat Topology.
 */
import { z } from 'zod';

/**
 * Characters a name or text printed in a report may not hold: C0 and C1 control characters (a
 * newline or an escape sequence would forge report lines or drive the terminal), lone
 * surrogates, line and paragraph separators, and bidirectional controls (U+202E and kin).
 */
export const UNPRINTABLE = /[\p{Cc}\p{Cs}\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

const codePoint = (c: string): string => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * A string of 1 to `max` characters without UNPRINTABLE ones (`newlines`: a description, maybe
 * empty, where a newline and a tab are allowed); the error names the first offending character.
 */
export const printableText = (max: number, newlines = false) =>
  z
    .string()
    .min(newlines ? 0 : 1)
    .max(max)
    .refine((s) => !UNPRINTABLE.test(newlines ? s.replace(/[\n\t]/g, ' ') : s), {
      error: (iss) => {
        const s = String(iss.input);
        const m = UNPRINTABLE.exec(newlines ? s.replace(/[\n\t]/g, ' ') : s)!;
        return `expected printable text${newlines ? ' (newlines and tabs allowed)' : ''}, got the unprintable character ${codePoint(m[0])} at character ${m.index + 1}`;
      },
    });

/** A name printed in reports: 1 to 64 printable characters. */
const printableName = printableText(64);

const ACS_NAMES = ['SV', 'TB', 'RR', 'CR', 'UF', 'EC', 'DT'] as const;

const ADDRESS = 'an address or size: a non-negative integer or a hex string like "0xa0000000"';
const address = z.union([z.number({ error: ADDRESS }).int({ error: ADDRESS }).nonnegative({ error: ADDRESS }), z.string({ error: ADDRESS }).regex(/^0x[0-9a-fA-F]+$/, { error: ADDRESS })], {
  error: ADDRESS,
});
const bdf = z.string({ error: 'a bdf string "bb:dd.f"' }).regex(/^[0-9a-fA-F]{2}:[0-1][0-9a-fA-F]\.[0-7]$/, {
  error: 'a bdf string "bb:dd.f" (hex bus, slot 00-1f, function 0-7)',
});
const acsBits = z.union([z.array(z.enum(ACS_NAMES)), z.number().int().min(0).max(0x7f)], {
  error: 'an array of ACS bit names (SV, TB, RR, CR, UF, EC, DT) or a bitmask 0-0x7f',
});
const acs = z.union(
  [z.strictObject({ cap: acsBits, ctrl: acsBits }), z.literal('unknown'), z.null()],
  { error: 'an object { cap, ctrl }, "unknown", or null (no ACS capability)' },
);
const bar = z.strictObject({ base: address, size: address, index: z.number().int().min(0).max(5).optional() });
const range = z.strictObject({ base: address, size: address });
const pciId = z.string().regex(/^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$/, { error: 'a vendor:device ID like "8086:1521"' });

const functionFields = {
  bdf,
  name: printableName.optional(),
  id: pciId.optional(),
  class: z.string().regex(/^[0-9a-fA-F]{4,6}$/, { error: 'a class code like "0200" or "020000"' }).optional(),
  acs: acs.optional(),
  bars: z.array(bar).optional(),
  ats: z.boolean().optional(),
  pasid: z.boolean().optional(),
  eetlpPrefix: z.boolean().optional(),
  dmaAliases: z.array(z.string().regex(/^[0-1][0-9a-fA-F]\.[0-7]$/, { error: 'a devfn "dd.f" on the same bus' })).optional(),
  untrusted: z.boolean().optional(),
  quirkBroken: z.boolean().optional(),
  driver: printableName.optional(),
  flags: z
    .strictObject({ bridgeXlateRoot: z.boolean().optional(), pcieBridgeAlias: z.boolean().optional(), pciBridgeNoAlias: z.boolean().optional() })
    .optional(),
};

const fn = z.strictObject({
  ...functionFields,
  kind: z.enum(['endpoint', 'legacy_endpoint', 'rc_endpoint', 'rc_event_collector', 'pci_device'], {
    error: 'one of endpoint, legacy_endpoint, rc_endpoint, rc_event_collector, pci_device',
  }).optional(),
});
/**
 * A function of an endpoint: may be an SR-IOV Virtual Function, `physfn` naming the bdf of its
 * Physical Function in the same endpoint (buildTopology checks that). Only endpoint functions
 * take `physfn`; elsewhere it is an unknown key.
 */
const endpointFn = z.strictObject({ ...fn.shape, physfn: bdf.optional() });
const port = z.strictObject({ ...functionFields, windows: z.array(range).optional() });
const namedPort = z.strictObject({ ...functionFields, name: printableName, windows: z.array(range).optional() });
/**
 * A root port may be external-facing (ACPI _DSD "ExternalFacingPort", DT "external-facing":
 * pci_acpi_set_external_facing / pci_set_of_node, read only for root ports): everything below
 * it is untrusted (set_pcie_untrusted, drivers/pci/probe.c).
 */
const rootPort = z.strictObject({ ...namedPort.shape, externalFacing: z.boolean().optional() });
const parent = z.string({ error: 'the name of a root port, switch downstream port or bridge' }).min(1);

/** The zod schema of a topology file. */
export const topologySpecSchema = z.strictObject({
  name: z.string({ error: 'a topology name (string)' }).pipe(printableText(100)),
  description: z.string().pipe(printableText(2000, true)).optional(),
  ivrs: z.boolean().optional(),
  rcPeerToPeer: z.boolean().optional(),
  rootPorts: z.array(rootPort).optional(),
  switches: z
    .array(z.strictObject({ name: printableName, parent, upstream: port, ports: z.array(namedPort).min(1) }))
    .optional(),
  endpoints: z
    .array(z.strictObject({ name: printableName, parent, multifunction: z.boolean().optional(), functions: z.array(endpointFn).min(1) }))
    .optional(),
  bridges: z
    .array(
      z.strictObject({
        ...functionFields,
        name: printableName,
        parent,
        kind: z.enum(['pcie_to_pci_bridge', 'pci_bridge']).optional(),
        windows: z.array(range).optional(),
        devices: z.array(fn).optional(),
      }),
    )
    .optional(),
  integrated: z.array(fn).optional(),
});

/** A parsed (schema-valid) topology file. */
export type TopologySpec = z.infer<typeof topologySpecSchema>;
/** One function entry of a topology file. */
export type FunctionSpec = z.infer<typeof fn>;
/** One function of an endpoint (may carry `physfn`: an SR-IOV VF). */
export type EndpointFunctionSpec = z.infer<typeof endpointFn>;
/** One port entry of a topology file. */
export type PortSpec = z.infer<typeof port>;
