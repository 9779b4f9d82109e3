import { BLOCKING_DOMAIN, hwptDomain } from '../kernel/domains.ts';
import { defineInvariant } from './defineInvariant.ts';
import type { DeviceScan } from './deviceScan.ts';
import { inGroup } from './facts.ts';
import { groupOf } from '../machines/state.ts';

/** I10: iommufd attaches all devices of a group to one hwpt, and the group follows it. */
export const i10IommufdGroupUniformity = defineInvariant({
  id: 'I10',
  name: 'IommufdGroupUniformity',
  description:
    'All iommufd-attached devices of the group use one hwpt and group->domain is its domain; with none attached an iommufd-owned group is blocked.',
  kernelRef: 'iommufd_hw_pagetable_attach -EINVAL, iommufd_hw_pagetable_detach (drivers/iommu/iommufd/device.c)',
  scan: {
    // Per IOMMU group: null, or [ctx, hwpt] of its first attached device, then [.., ctx, hwpt]
    // of its first attached device on another hwpt.
    start: (s) => s.groups.map(() => null),
    device(acc, s, i, scenario) {
      const b = s.devices[i]!.present ? s.devices[i]!.iommufd : null;
      const g = groupOf(scenario, i);
      const cur = acc[g] ?? null;
      if (!b || b.hwpt === null || (cur !== null && cur.length === 4)) return acc;
      const next = cur === null ? [b.ctx, b.hwpt] : b.ctx !== cur[0] || b.hwpt !== cur[1] ? [cur[0]!, cur[1]!, b.ctx, b.hwpt] : cur;
      if (next === cur) return acc;
      const out = acc.slice();
      out[g] = next;
      return out;
    },
    end(acc, s, scenario) {
      for (let gi = 0; gi < s.groups.length; gi++) {
        const g = s.groups[gi]!;
        const a = acc[gi] ?? null;
        const at = inGroup(scenario, gi);
        if (a !== null) {
          if (a.length === 4) return `devices of one group${at} are attached to hwpt:${a[0]}.${a[1]} and hwpt:${a[2]}.${a[3]}`;
          const want = hwptDomain(a[0]!, a[1]!);
          if (g.domain !== want) return `devices${at} are attached to ${want} but group->domain is ${g.domain}`;
        } else if (g.owner?.startsWith('ictx:') && g.domain !== BLOCKING_DOMAIN) {
          return `owned by ${g.owner}${at} with no device attached but group->domain is ${g.domain}`;
        }
      }
      return null;
    },
  } satisfies DeviceScan<readonly (readonly number[] | null)[]>,
});
