/**
 * The grouping rules a user can choose (`grouping:` in scenario and topology files, `--grouping`
 * on the CLI): mainline `pci_device_group()` (deriveGroups.ts) or the pending v3 per-bus rule of
 * the `pcie_switch_groups` series (switchGroups.ts), whose disputed assumption (a multifunction
 * device or root port without an ACS capability has no internal loopback) is a named parameter.
 */
import type { AcsPolicy } from './acs.ts';
import { KERNEL_ACS_POLICY } from './acs.ts';
import { deriveGroups, type Grouping } from './deriveGroups.ts';
import { deriveGroupsSwitchGroups, SWITCH_GROUPS_V3, type SwitchGroupsOptions } from './switchGroups.ts';
import type { Topology } from './types.ts';

/** The selectable grouping rules. */
export const GROUPING_RULES = ['mainline', 'switch-groups'] as const;
export type GroupingRule = (typeof GROUPING_RULES)[number];

/** A grouping with the rule that made it and the assumption it depended on, if any. */
export interface RuleGrouping extends Grouping {
  readonly rule: GroupingRule;
  /**
   * `assumeNoLoopbackWithoutAcsCap` when the switch-groups rule separated functions (or a root
   * port) only because of it: every verdict on this grouping depends on that assumption.
   */
  readonly assumption: string | null;
  /** switch-groups: the pci_bus_isolation of each bus (two-digit hex bus number); null for mainline. */
  readonly busIsolation: Readonly<Record<string, string>> | null;
  /** switch-groups: some split rests on the assumption; null for mainline. */
  readonly assumptionUsed: boolean | null;
}

/** The groups `rule` derives for the topology. */
export function groupingBy(topology: Topology, rule: GroupingRule, options: SwitchGroupsOptions = SWITCH_GROUPS_V3, policy: AcsPolicy = KERNEL_ACS_POLICY): RuleGrouping {
  if (rule === 'mainline') return { ...deriveGroups(topology, policy), rule, assumption: null, busIsolation: null, assumptionUsed: null };
  const g = deriveGroupsSwitchGroups(topology, options, policy);
  const assumption = g.assumptionUsed ? `assumeNoLoopbackWithoutAcsCap=${options.assumeNoLoopbackWithoutAcsCap}` : null;
  return { groups: g.groups, groupOf: g.groupOf, why: g.why, rule, assumption, busIsolation: g.busIsolation, assumptionUsed: g.assumptionUsed };
}
