/**
 * The recording view of the global part (src/engine/packed/globalView.ts) and its places and
 * patches (src/engine/packed/globalPlaces.ts): a read notes exactly the place read; patching a
 * group (updateGroup, withTranslation) reads none of its other fields, so a kernel call that sets
 * a group's owner does not depend on the group's IOTLB; the writes are a patch that, applied to
 * another global part, gives what the kernel call gives there.
 */
import { describe, expect, it } from 'vitest';
import { StateCodec } from '../../src/engine/packed/codec.ts';
import { GlobalPlaces } from '../../src/engine/packed/globalPlaces.ts';
import { GlobalRecording } from '../../src/engine/packed/globalView.ts';
import { mayDiffer, updateGroup, updateVfioGroup, type SystemState } from '../../src/machines/state.ts';
import { withTranslation } from '../../src/machines/translation.ts';
import { expectOk, model } from '../helpers/model.ts';

const m = model('dma-api-unmap-lazy');
const bound = expectOk(m, m.init, { type: 'really_probe', dev: 0, driver: m.scenario.devices[0]!.drivers[0]! });

function recording(s: SystemState = bound) {
  const codec = new StateCodec(m.init);
  const places = new GlobalPlaces(codec);
  const rec = new GlobalRecording(places);
  const g = codec.globalId(s);
  const view = rec.begin(codec.globalOf(g), s.devices);
  return { codec, places, rec, g, view };
}

describe('GlobalRecording: the places a kernel call reads', () => {
  it("reading group 0's owner notes that field of group 0 only", () => {
    const { places, rec, view } = recording();
    expect(view.groups[0]!.owner).toBe(null);
    expect([...rec.read]).toEqual([places.field('groups', 0, 'owner')]);
  });

  it("updateGroup and withTranslation on the view read none of the group's fields (only warn, which spreading the state copies)", () => {
    const { places, rec, view } = recording();
    const next = withTranslation(updateGroup(view, 0, { owner_cnt: 1 }), 0, bound.groups[0]!.translation!);
    expect(next.groups[0]!.owner_cnt).toBe(1);
    expect([...rec.read], 'a patched field is answered from the patch').toEqual([places.whole('warn')]);
  });

  it('mayDiffer tells, without reading, that a patch of the owner left the translation alone', () => {
    const { rec, view } = recording();
    const next = updateGroup(view, 0, { owner_cnt: 1 });
    rec.read.clear();
    expect(mayDiffer(view.groups[0]!, next.groups[0]!, 'translation')).toBe(false);
    expect(mayDiffer(view.groups[0]!, next.groups[0]!, 'owner_cnt')).toBe(true);
    expect(mayDiffer(view.groups[0]!, view.groups[0]!, 'owner')).toBe(false);
    expect(rec.read.size).toBe(0);
  });

  it('spreading a group notes the whole group; serializing the state notes every part', () => {
    const { places, rec, view } = recording();
    void { ...view.groups[0]! };
    expect(rec.read.has(places.element('groups', 0))).toBe(true);
    rec.read.clear();
    JSON.stringify(view);
    for (const part of ['containers', 'iommufd_groups', 'warn'] as const) expect(rec.read.has(places.whole(part)), part).toBe(true);
  });

  it('spreading the state ({ ...s, devices }) notes only warn, which is a string', () => {
    const { places, rec, view } = recording();
    void { ...view, devices: view.devices };
    expect([...rec.read]).toEqual([places.whole('warn')]);
  });

  it('containers and iommufd_groups are noted whole at any look, and still are arrays', () => {
    const { places, rec, view } = recording();
    expect(Array.isArray(view.containers)).toBe(true);
    expect(rec.read.size).toBe(0);
    void view.iommufd_groups.length;
    expect([...rec.read]).toEqual([places.whole('iommufd_groups')]);
  });
});

describe('GlobalRecording.writes and GlobalPlaces.apply: the global patch', () => {
  it('a VFIO group counter moved by a call is a one-field patch, and applying it gives the call\'s global part', () => {
    const { codec, places, rec, g, view } = recording();
    const next = updateVfioGroup(view, 0, { drivers: 1 });
    const w = rec.writes(view, next);
    expect(w).toEqual([['vfio_groups', 0, 'drivers', 1]]);
    const want = codec.globalId(updateVfioGroup(bound, 0, { drivers: 1 }));
    expect(places.apply(g, places.patchId(w!))).toBe(want);
  });

  it('the same patch applied to a global part with another translation keeps that translation', () => {
    const { codec, places, rec, view } = recording();
    const w = rec.writes(view, updateGroup(view, 0, { owner_cnt: 1 }))!;
    const mapped = expectOk(m, bound, { type: 'dma_map_page', dev: 0 });
    expect(mapped.groups[0]!.translation).not.toEqual(bound.groups[0]!.translation);
    const got = codec.globalOf(places.apply(codec.globalId(mapped), places.patchId(w)));
    expect(got.groups[0]).toEqual({ ...mapped.groups[0]!, owner_cnt: 1 });
  });

  it('an unchanged global part is no patch', () => {
    const { rec, view } = recording();
    expect(rec.writes(view, { ...view, devices: view.devices })).toBeNull();
  });
});
