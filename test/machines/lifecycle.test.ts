/**
 * The named transitions of each region are the lifecycle of today's kernel: under the current
 * rules every mode change the semantics make, from every state the engine reaches, is one of
 * them. Flawed variants may also take the `'*'` fallback; those edges are listed here.
 */
import { describe, expect, it } from 'vitest';
import { enumerateEvents } from '../../src/machines/enumerate.ts';
import { applyEvent, successor } from '../../src/machines/events.ts';
import type { Scenario } from '../../src/machines/scenario.ts';
import type { SystemState } from '../../src/machines/state.ts';
import { createSystemMachine, stateValueOf } from '../../src/machines/system.ts';
import { currentVariant, kernelOf, VARIANTS, type Variant } from '../../src/machines/variants/index.ts';
import { BUILTIN_SCENARIOS } from '../../src/scenarios/builtin.ts';
import { builtinJobs } from '../../src/scenarios/jobs.ts';
import { engineGraph } from './helpers.ts';

/** `region: from -> to on event`, with the region's device index dropped. */
const edge = (region: string, from: string, type: string, to: string) => `${region.replace(/\d+$/, '')}: ${from} -> ${to} on ${type}`;

/** The named (non-wildcard) transitions of the system machine's regions. */
function namedEdges(scenario: Scenario): Set<string> {
  const out = new Set<string>();
  for (const [region, node] of Object.entries(createSystemMachine(scenario).root.states)) {
    for (const [from, state] of Object.entries(node.states)) {
      for (const [type, ts] of state.transitions) {
        if (type === '*') continue;
        for (const t of ts) for (const target of t.target ?? []) out.add(edge(region, from, type, target.key));
      }
    }
  }
  return out;
}

/** Every region mode change the semantics make from a state the engine reaches (or only from those it expands). */
function modeChanges(scenario: Scenario, variant: Variant, expandedOnly = false): Set<string> {
  const env = { k: kernelOf(variant), scenario };
  const out = new Set<string>();
  const graph = engineGraph(scenario, variant);
  for (const [key, s] of graph.states) {
    if (expandedOnly && !graph.expanded.has(key)) continue;
    const before = stateValueOf(s) as Record<string, string>;
    for (const e of enumerateEvents(scenario, s)) {
      const next: SystemState | null = successor(applyEvent(env, s, e));
      if (!next) continue;
      const after = stateValueOf(next) as Record<string, string>;
      for (const [region, from] of Object.entries(before)) {
        if (after[region] !== from) out.add(edge(region, from, e.type, after[region]!));
      }
    }
  }
  return out;
}

/** The built-in scenarios each variant is checked on by default (builtinJobs: all, or its `scenarios`). */
const JOBS = builtinJobs(BUILTIN_SCENARIOS);

const offLifecycle = (variant: Variant, expandedOnly = false): string[] => {
  const found = new Set<string>();
  for (const { scenario } of JOBS.filter((j) => j.variant.name === variant.name)) {
    const named = namedEdges(scenario);
    for (const c of modeChanges(scenario, variant, expandedOnly)) if (!named.has(c)) found.add(c);
  }
  return [...found].sort();
};

describe('region lifecycles', () => {
  it('every mode change under the current kernel is a named kernel transition', () => {
    expect(offLifecycle(currentVariant)).toEqual([]);
  });

  it('every named kernel transition is taken in some built-in scenario under the current kernel', () => {
    const taken = new Set(BUILTIN_SCENARIOS.flatMap((s) => [...modeChanges(s, currentVariant)]));
    const named = new Set(BUILTIN_SCENARIOS.flatMap((s) => [...namedEdges(s)]));
    expect([...named].filter((e) => !taken.has(e)).sort()).toEqual([]);
  });

  it('only the mixture variant and the container-release bug leave the lifecycle from a state that holds every invariant: the claim beside a DMA-API driver breaks I1, the other group dropping to container_set breaks I17', () => {
    const report = Object.fromEntries(VARIANTS.map((v) => [v.name, offLifecycle(v, true)] as const).filter(([, e]) => e.length > 0));
    expect(report).toEqual({
      'bug-container-release-on-any-detach': [
        'vfioGroup: iommu_set -> container_set on device_release_driver',
        'vfioGroup: iommu_set -> container_set on vfio_device_fops_release',
        'vfioGroup: iommu_set -> container_set on vfio_group_fops_release',
      ],
      'claim-ignores-dma-api-users': ['iommuGroup: kernel -> owned on vfio_df_ioctl_bind_iommufd', 'iommuGroup: kernel -> owned on vfio_group_ioctl_set_container'],
    });
  });

  it('the fallback edges a flawed variant takes from states that break an invariant', () => {
    const report = Object.fromEntries(VARIANTS.map((v) => [v.name, offLifecycle(v)] as const).filter(([, e]) => e.length > 0));
    expect(report).toMatchInlineSnapshot(`
      {
        "bug-container-release-on-any-detach": [
          "vfioGroup: container_set -> closed on vfio_device_fops_release",
          "vfioGroup: iommu_set -> container_set on device_release_driver",
          "vfioGroup: iommu_set -> container_set on vfio_device_fops_release",
          "vfioGroup: iommu_set -> container_set on vfio_group_fops_release",
        ],
        "bug-unuse-underflow": [
          "iommuGroup: free -> kernel on device_release_driver",
        ],
        "claim-ignores-dma-api-users": [
          "iommuGroup: kernel -> owned on vfio_df_ioctl_bind_iommufd",
          "iommuGroup: kernel -> owned on vfio_group_ioctl_set_container",
        ],
      }
    `);
  });
});
