/**
 * The zod schema of a scenario file (src/scenarios/scenarioFile.ts parses and validates with it):
 * the device list or the plan, contexts, `platform:`, `expect:` and the translation-path settings.
 * Each field says what it means; the README's "Scenario files" table is the user's version.
 */
import { z } from 'zod';
import { GROUPING_RULES } from '../hardware/index.ts';
import { printableText } from '../hardware/topologySpec.ts';
import { DRIVER_NAMES } from '../kernel/drivers.ts';
import { IOMMU_DRIVERS, type IommuDriver } from '../kernel/iommuDrivers.ts';
import { VARIANTS } from '../machines/variants/index.ts';
import { INVARIANTS } from '../invariants/index.ts';

const driver = z.enum(DRIVER_NAMES as [string, ...string[]]);
const variantName = z.enum(VARIANTS.map((v) => v.name) as [string, ...string[]]);

/** A device or context name: printed in every trace, so 1-64 printable characters (no control characters, no bidi overrides). */
const nameSchema = printableText(64);

/** A p2p end: a device's name or its index in `devices`. */
const p2pEnd = z.union([z.number().int().min(0), z.string().min(1)], {
  error: (iss) => `expected a device name or index (a whole number from 0), got ${JSON.stringify(iss.input) ?? String(iss.input)}`,
});
const P2P_EXPECTED = 'expected "all", "none" or a list of pairs [a, b] of device names or indices';
const p2pPairs = z.array(z.tuple([p2pEnd, p2pEnd], { error: `${P2P_EXPECTED}; got a pair that is not two devices` }), { error: P2P_EXPECTED });
const p2pWords = z.enum(['all', 'none'], { error: P2P_EXPECTED });

/** `p2p:` as "all", "none" or pairs; an error inside a list names the pair (p2p[1][0]), not only "p2p". */
const p2pSchema = z.unknown().transform((v, ctx) => {
  const r = (typeof v === 'string' ? p2pWords : p2pPairs).safeParse(v);
  if (r.success) return r.data;
  for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  return z.NEVER;
});

const deviceSchema = z.strictObject({
  name: nameSchema,
  drivers: z.array(driver).min(1),
  present: z.boolean().default(true),
  pasid: z.boolean().default(false),
  pasidAcsPath: z.boolean().optional(),
  requireDirect: z.boolean().default(false),
  /** Reserved regions (issue 16): an IOMMU_RESV_DIRECT_RELAXABLE region (USB/graphics RMRR): mapped 1:1 in the default domain, not require_direct. */
  directRelaxable: z.boolean().optional(),
  /** Reserved regions in user IOVA spaces (issue 16, helper G): a non-relaxable reserved region at this IOVA page of the user IOVA space (below iovaPages). */
  reservedIova: z.number().int().min(0).max(1).optional(),
  /** An SR-IOV VF: the name of its PF among the devices (it comes and goes with the PF driver's SR-IOV). */
  pf: z.string().min(1).optional(),
  /** pci_dev->untrusted (below an external-facing port): forced strict, sub-page buffers bounced. */
  untrusted: z.boolean().optional(),
  /** Its driver's DMA buffers are sub-page kmalloc objects (other kernel data shares the page). */
  subPage: z.boolean().optional(),
  /** An ATS capability (pdev->ats_cap) on a DMA actor: ATS enable, the device's ATC, translated requests. */
  ats: z.boolean().optional(),
  /** PASID values the device may be given (max_pasids - 1; 0 = no PASID capability): turns on the PASID allocator and page requests. */
  pasids: z.number().int().min(0).max(4).optional(),
  /** A PRI capability (pdev->pri_cap): page requests per PASID, answered by the iopf workqueue. */
  pri: z.boolean().optional(),
  /** Reset methods (pci_reset_function) may begin and end on the device between any two calls (staged resets, issue 16). */
  resettable: z.boolean().optional(),
  /** The name of a device of the same group that shares a requester ID with this one (a DMA alias). */
  dmaAlias: z.string().min(1).optional(),
  /** Interrupts (issue 16): the device signals MSIs; a user-controlled one's DMA write to the MSI doorbell is explored (invariant MSI). */
  msi: z.boolean().optional(),
  /** BAR access (issue 16): the user of this vfio-pci device maps its BARs, faults them in, toggles memory decode and resets the device. */
  barMmap: z.boolean().optional(),
  /** With barMmap: the user may export the BAR as a DMABUF and map it into its IOAS (peer DMA through the IOMMU). */
  barDmabuf: z.boolean().optional(),
  /** Cache coherency (issue 16): the device issues no-snoop requests; its no-snoop reads on user domains are explored (invariant SNOOP). */
  noSnoop: z.boolean().optional(),
  /** Cache coherency (issue 16): IOMMU_CAP_ENFORCE_CACHE_COHERENCY of the device's IOMMU (snoop control); omitted: the platform's enforceCoherency. */
  enforceCoherency: z.boolean().optional(),
  /** VFIO hot reset (issue 16, Deliver 2): the vfio-pci device's bus has a working secondary bus reset (VFIO_DEVICE_PCI_HOT_RESET). */
  hotReset: z.boolean().optional(),
});

const planDeviceSchema = z.strictObject({
  drivers: z.array(driver).min(1),
  present: z.boolean().optional(),
  pasid: z.boolean().optional(),
  requireDirect: z.boolean().optional(),
});

const contextSchema = z.strictObject({
  name: nameSchema,
  paths: z.array(z.enum(['vfio-group', 'iommufd'])).min(1),
  hwpts: z.number().int().min(1).max(4).default(1),
  /** The devices the context may take (names, or BDFs of the plan); each in one context's list. */
  devices: z.array(z.string().min(1)).min(1).optional(),
  /** The context maps its memory for DMA (VFIO_IOMMU_MAP_DMA / IOMMU_IOAS_MAP) of the DMA actors it may take. */
  mapDma: z.boolean().optional(),
  /** The context allocates and destroys its hwpts (IOMMU_HWPT_ALLOC / IOMMU_DESTROY); each starts unallocated. */
  hwptLifetime: z.boolean().optional(),
  /** vDEVICEs (issue 16): the context has a vIOMMU and gives its bound devices vDEVICEs (IOMMU_VDEVICE_ALLOC). */
  viommu: z.boolean().optional(),
  /** Fault queues (issue 16): every hwpt of the context is fault-capable (page requests queued for the user to answer). */
  faultHwpts: z.boolean().optional(),
  /** The kernel is expected to refuse this context every device (the report checks it under current). */
  expectRefused: z.boolean().optional(),
});

/** `platform:` (src/machines/platform.ts): the machine's settings around the groups; omitted fields keep their defaults. */
const platformSchema = z.strictObject({
  /** Interrupt remapping / an MSI controller that isolates devices (iommu_group_has_isolated_msi). */
  irqRemapping: z.boolean().optional(),
  /** The MSI region: "hw" (IOMMU_RESV_MSI, untranslated window) or "sw" (IOMMU_RESV_SW_MSI, mapped into each domain). */
  msi: z.enum(['hw', 'sw']).optional(),
  /** vfio_iommu_type1 / iommufd allow_unsafe_interrupts. */
  allowUnsafeInterrupts: z.boolean().optional(),
  /** IOMMU_CAP_ENFORCE_CACHE_COHERENCY: the IOMMU can force snooping of no-snoop requests. */
  enforceCoherency: z.boolean().optional(),
  /** The IOMMU driver whose functions traces and docs cite for the ATS/IOTLB steps (src/kernel/iommuDrivers.ts); default intel. */
  iommuDriver: z.enum(IOMMU_DRIVERS as [IommuDriver, ...IommuDriver[]]).optional(),
});

const expectSchema = z.union([z.literal('holds'), z.array(z.enum(INVARIANTS.map((i) => i.id) as [string, ...string[]])).min(1)], {
  error: `expected "holds" or a list of invariant ids (${INVARIANTS.map((i) => i.id).join(', ')})`,
});

export const scenarioFileSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'a kebab-case name').max(100),
  description: printableText(2000, true).default(''),
  topology: z.string().min(1).optional(),
  grouping: z.enum(GROUPING_RULES).optional(),
  plan: z.record(z.string().min(1), planDeviceSchema).optional(),
  devices: z.array(deviceSchema).min(1).max(12).optional(),
  contexts: z.array(contextSchema).max(3).default([]),
  hotplug: z.boolean().default(false),
  invalidation: z.enum(['strict', 'lazy']).optional(),
  /** The administrator may write DMA-FQ to each DMA group's sysfs type file (iommu_group_store_type). */
  groupTypeWrites: z.boolean().optional(),
  /** Platform settings: interrupt remapping, MSI region, allow_unsafe_interrupts, coherency, IOMMU driver (defaults when omitted). */
  platform: platformSchema.optional(),
  /** IOVA pages per DMA-API default domain when `dma` names devices (1 or 2). */
  iovaPages: z.number().int().min(1).max(2).optional(),
  /** Devices (names, or BDFs of the plan) that act as DMA actors: their DMA, mappings and the IOTLB enter the interleavings. */
  dma: z.array(z.string().min(1)).min(1).optional(),
  /** Peer-to-peer pairs without a topology: "all", "none" or [a, b] pairs of device names or indices. */
  p2p: p2pSchema.optional(),
  /** Classes of device names declared interchangeable (checked; reduced by default). */
  symmetry: z.array(z.array(z.string().min(1)).min(2, 'a class needs at least two device names')).optional(),
  variants: z.array(variantName).min(1).default(['current']),
  expect: z.partialRecord(variantName, expectSchema).default({}),
});

export type ScenarioFile = z.infer<typeof scenarioFileSchema>;
