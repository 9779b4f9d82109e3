import { describe, expect, it } from 'vitest';
import { canonicalKey } from '../../src/engine/serialize.ts';
import { initialState } from '../../src/machines/state.ts';
import { findScenario } from '../../src/scenarios/builtin.ts';

describe('canonicalKey', () => {
  it('gives equal states built in different key orders the same key', () => {
    const s = initialState(findScenario('vfio-vs-dma-api')!);
    const reordered = {
      warn: s.warn,
      containers: s.containers,
      vfio_groups: s.vfio_groups.map((v) => Object.fromEntries(Object.entries(v).reverse())),
      iommufd_groups: s.iommufd_groups,
      devices: s.devices.map((d) => Object.fromEntries(Object.entries(d).reverse())),
      groups: s.groups.map((g) => Object.fromEntries(Object.entries(g).reverse())),
    };
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(s));
    expect(canonicalKey(reordered)).toBe(canonicalKey(s));
  });

  it('gives different states different keys', () => {
    const s = initialState(findScenario('vfio-vs-dma-api')!);
    expect(canonicalKey({ ...s, group: { ...s.groups[0], owner_cnt: 1 } })).not.toBe(canonicalKey(s));
  });

  it.each([
    ['a Map', new Map([[1, 2]])],
    ['a Set', new Set([1])],
    ['a bigint', 1n],
    ['a class instance', new (class Domain {})()],
    ['a function', () => 1],
    ['NaN', Number.NaN],
  ])('refuses %s instead of silently merging states', (_, v) => {
    expect(() => canonicalKey({ x: v })).toThrow(/canonicalKey/);
  });
});
