/**
 * For an lspci dump taken without root (ACS `<access denied>`) that still records the kernel's
 * `IOMMU group:` lines: which ACS assumptions make mainline `pci_device_group()` (deriveGroups.ts)
 * reproduce the recorded groups. Each device whose unreadable ACS the grouping reads (root and
 * downstream ports; multifunction endpoints, upstream ports and RCiEPs) is taken to isolate
 * (ACSCap = ACSCtl = SV|RR|CR|UF, what `pci_std_enable_acs()` enables) or to have no ACS
 * capability; quirks still decide first, as in `pci_acs_enabled()`.
 *
 * Search: all isolating; then every candidate in a group the kernel recorded as merged (where
 * the derived groups split it) stops isolating; then single flips while they lower the number
 * of mis-grouped devices; then, if that still does not reproduce and there are at most
 * EXHAUSTIVE_MAX candidates, every assignment. Finally each candidate is flipped on its own:
 * when the recorded groups survive the flip, its ACS does not matter (`either`).
 */
import type { AcsPolicy } from './acs.ts';
import { KERNEL_ACS_POLICY, pciAcsEnabled } from './acs.ts';
import { mismatchedDevices } from './compareGroupings.ts';
import { deriveGroups } from './deriveGroups.ts';
import type { RecordedGroup } from './parseLspci.ts';
import type { PciDevice, Topology } from './types.ts';
import { REQ_ACS_FLAGS } from './types.ts';

/** What reproduces the recorded groups. */
export interface AcsInference {
  /** Some assignment makes the derived grouping equal the recorded one. */
  readonly reproduced: boolean;
  /** Devices with unreadable ACS that must isolate (SV|RR|CR|UF) for the recorded groups. */
  readonly isolating: readonly string[];
  /** Devices with unreadable ACS that must not isolate. */
  readonly notIsolating: readonly string[];
  /** Devices with unreadable ACS whose ACS, flipped on its own, leaves the groups as recorded. */
  readonly either: readonly string[];
  /** Devices still grouped unlike the record under the best assignment found (empty when reproduced). */
  readonly unexplained: readonly string[];
}

/** Above this many candidates the exhaustive step is skipped. */
export const EXHAUSTIVE_MAX = 12;

const ISOLATING = { cap: REQ_ACS_FLAGS, ctrl: REQ_ACS_FLAGS };
const READS_ACS_ALWAYS: readonly PciDevice['kind'][] = ['root_port', 'downstream_port'];
const READS_ACS_IF_MF: readonly PciDevice['kind'][] = ['endpoint', 'upstream_port', 'legacy_endpoint', 'rc_endpoint'];

/** Unreadable-ACS devices whose ACS `pci_acs_enabled()` reads (for a quirk-free device). */
export function acsCandidates(topology: Topology): string[] {
  return topology.devices
    .filter((d) => d.acs === 'unknown' && (READS_ACS_ALWAYS.includes(d.kind) || (d.multifunction && READS_ACS_IF_MF.includes(d.kind))))
    .map((d) => d.bdf);
}

interface Ctx {
  readonly topology: Topology;
  readonly recorded: readonly RecordedGroup[];
  readonly candidates: readonly string[];
  readonly policy: AcsPolicy;
}

type Assignment = ReadonlySet<string>; // the isolating candidates

function withAssignment(ctx: Ctx, isolating: Assignment): Topology {
  const devices = ctx.topology.devices.map((d) => (ctx.candidates.includes(d.bdf) ? { ...d, acs: isolating.has(d.bdf) ? ISOLATING : null } : d));
  return { ...ctx.topology, devices };
}

function misgrouped(ctx: Ctx, isolating: Assignment): string[] {
  return mismatchedDevices(deriveGroups(withAssignment(ctx, isolating), ctx.policy), ctx.recorded);
}

const score = (ctx: Ctx, a: Assignment) => misgrouped(ctx, a).length;
const flip = (a: Assignment, bdf: string): Assignment => {
  const s = new Set(a);
  if (!s.delete(bdf)) s.add(bdf);
  return s;
};

/** Candidates in a recorded group that the derived grouping splits stop isolating. */
function mergeRecorded(ctx: Ctx, a: Assignment): Assignment {
  const split = new Set(misgrouped(ctx, a));
  const out = new Set(a);
  for (const g of ctx.recorded) {
    if (g.devices.length < 2 || !g.devices.some((d) => split.has(d))) continue;
    for (const d of g.devices) if (ctx.candidates.includes(d)) out.delete(d);
  }
  return score(ctx, out) <= score(ctx, a) ? out : a;
}

/** Single flips, in candidate order, while one lowers the score. */
function hillClimb(ctx: Ctx, start: Assignment): Assignment {
  let best = start;
  let bestScore = score(ctx, best);
  for (let improved = true; improved && bestScore > 0; ) {
    improved = false;
    for (const c of ctx.candidates) {
      const next = flip(best, c);
      const s = score(ctx, next);
      if (s < bestScore) [best, bestScore, improved] = [next, s, true];
    }
  }
  return best;
}

/** Every assignment; the first with the lowest score, trying more isolating ones first. */
function exhaustive(ctx: Ctx, start: Assignment): Assignment {
  let best = start;
  let bestScore = score(ctx, best);
  const n = ctx.candidates.length;
  for (let mask = 0; mask < 1 << n && bestScore > 0; mask++) {
    const a = new Set(ctx.candidates.filter((_, i) => (mask & (1 << i)) === 0));
    const s = score(ctx, a);
    if (s < bestScore) [best, bestScore] = [a, s];
  }
  return best;
}

/** `pci_acs_enabled(dev, REQ_ACS_FLAGS)` for one candidate under an assignment. */
function acsEnabledUnder(ctx: Ctx, a: Assignment, bdf: string): boolean {
  const t = withAssignment(ctx, a);
  return pciAcsEnabled(t, t.devices.find((d) => d.bdf === bdf)!, REQ_ACS_FLAGS, ctx.policy);
}

/** Sorts each candidate by whether its flip, on its own, keeps the groups as recorded (a flip a quirk overrides is no flip). */
function classify(ctx: Ctx, a: Assignment, reproduced: boolean): Pick<AcsInference, 'isolating' | 'notIsolating' | 'either'> {
  const out = { isolating: [] as string[], notIsolating: [] as string[], either: [] as string[] };
  for (const c of ctx.candidates) {
    const now = acsEnabledUnder(ctx, a, c);
    const flipped = flip(a, c);
    if (reproduced && acsEnabledUnder(ctx, flipped, c) !== now && score(ctx, flipped) === 0) out.either.push(c);
    else (now ? out.isolating : out.notIsolating).push(c);
  }
  return out;
}

/**
 * The ACS assumptions (for devices whose ACS lspci could not read) under which mainline
 * `pci_device_group()` reproduces the recorded IOMMU groups.
 */
export function inferAcs(topology: Topology, recorded: readonly RecordedGroup[], policy: AcsPolicy = KERNEL_ACS_POLICY): AcsInference {
  const ctx: Ctx = { topology, recorded, candidates: acsCandidates(topology), policy };
  let best = hillClimb(ctx, mergeRecorded(ctx, new Set(ctx.candidates)));
  if (score(ctx, best) > 0 && ctx.candidates.length <= EXHAUSTIVE_MAX) best = exhaustive(ctx, best);
  const unexplained = misgrouped(ctx, best);
  const reproduced = unexplained.length === 0;
  return { reproduced, ...classify(ctx, best, reproduced), unexplained };
}
