/**
 * Global parts projected onto the places a device step read (src/engine/packed/globalReads.ts):
 * what a recording view notes, and that two global parts share a projected id exactly when
 * they agree on every place learned.
 */
import { describe, expect, it } from 'vitest';
import type { GlobalPart } from '../../src/engine/packed/codec.ts';
import { GlobalProjection, recordGlobal } from '../../src/engine/packed/globalReads.ts';
import type { GroupState } from '../../src/machines/state.ts';

const group = (patch: Partial<GroupState>): GroupState => ({
  owner: null,
  owner_cnt: 0,
  domain: 'default',
  default_domain: true,
  blocking_domain: false,
  pasid_array: [],
  singleton_lockdown: false,
  devices: [0, 1],
  ...patch,
});
const part = (g: Partial<GroupState>, warn: string | null = null): GlobalPart => ({ groups: [group(g)], vfio_groups: [], containers: [], iommufd_groups: [], warn });

describe('global places read by a device step', () => {
  it('a read of group->domain, an `in` test on the group and the WARN are noted as places', () => {
    const { view, places } = recordGlobal(part({ domain: 'blocking' }));
    expect(view.groups[0]!.domain).toBe('blocking');
    expect('owner' in view.groups[0]!).toBe(true);
    expect(view.warn).toBeNull();
    expect(view.groups.length).toBe(1);
    expect([...places].sort()).toEqual(['groups.0.domain', 'groups.0.owner', 'groups.length', 'warn']);
  });

  it('a device list is read whole: includes() on group->devices notes one place', () => {
    const { view, places } = recordGlobal(part({}));
    expect(view.groups[0]!.devices.includes(1)).toBe(true);
    expect([...places]).toEqual(['groups.0.devices']);
  });

  it('groups that differ only in owner_cnt share a projected id while only group->domain was read', () => {
    const parts = [part({ owner_cnt: 0 }), part({ owner_cnt: 5 }), part({ domain: 'blocking', owner_cnt: 5 })];
    const p = new GlobalProjection((g) => parts[g]!);
    const { view, places } = recordGlobal(parts[0]!);
    void view.groups[0]!.domain;
    expect(p.learn(places)).toBe(true);
    expect(p.idOf(0)).toBe(p.idOf(1));
    expect(p.idOf(2)).not.toBe(p.idOf(0));
    // Learning owner_cnt as well renumbers: now the first two differ.
    const again = recordGlobal(parts[0]!);
    void again.view.groups[0]!.owner_cnt;
    const version = p.version;
    expect(p.learn(again.places)).toBe(true);
    expect(p.version).toBe(version + 1);
    expect(p.idOf(0)).not.toBe(p.idOf(1));
    // Nothing new: the ids stay.
    expect(p.learn(again.places)).toBe(false);
  });
});
