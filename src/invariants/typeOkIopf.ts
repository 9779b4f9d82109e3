/**
 * TypeOK's clauses for PASID values and page requests (issue 15, step 6, src/machines/iopf.ts):
 * each group's SVA bonds, PRI enables, queued page requests and exited processes agree with each
 * other and with pasid_array, the way the kernel's structures do (a bond is an attach handle of its
 * process's domain on the PASID; a request is queued only through enabled PRI).
 */
import { svaDomainOf } from '../machines/iopf.ts';
import type { Scenario } from '../machines/scenario.ts';
import type { SystemState } from '../machines/state.ts';
import { inGroup } from './facts.ts';

/** The first disagreement in some group's `iopf`, or null. Reads the global part only. */
export function iopfReason(s: SystemState, scenario: Scenario): string | null {
  for (let gi = 0; gi < s.groups.length; gi++) {
    const g = s.groups[gi]!;
    const iopf = g.iopf;
    if (!iopf) continue;
    const where = inGroup(scenario, gi);
    for (const [k, b] of iopf.bonds.entries()) {
      if (iopf.bonds.findIndex((x) => x.dev === b.dev) !== k) return `device ${b.dev} has two SVA bonds${where}`;
      if (iopf.exited.includes(b.mm)) return `process ${b.mm} has exited but still has an SVA bond${where}`;
      if (!g.pasid_array.some((e) => e.domain === svaDomainOf(b.mm))) return `process ${b.mm}'s SVA bond${where} has no PASID attached to ${svaDomainOf(b.mm)}`;
    }
    for (const dev of iopf.pri) {
      const spec = scenario.devices[dev];
      if (spec?.pri !== true && spec?.pf === undefined) return `device ${dev} has PRI enabled${where} without a PRI capability`;
    }
    for (const e of iopf.prq) {
      if (!iopf.pri.includes(e.dev)) return `a page request of device ${e.dev} is queued${where} without PRI enabled`;
      if (!e.stale && !g.pasid_array.some((x) => x.pasid === e.pasid)) return `a page request for PASID ${e.pasid}${where} is not stale, but nothing is attached to the PASID`;
    }
  }
  return null;
}
