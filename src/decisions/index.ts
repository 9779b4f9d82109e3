/** The ordered registry of decision records. */
import { attachDeviceCountCheck } from './records/attachDeviceCountCheck.ts';
import { claimBeforeDeviceFd } from './records/claimBeforeDeviceFd.ts';
import { claimBlocksDma } from './records/claimBlocksDma.ts';
import { dmaApiPinsDefaultDomain } from './records/dmaApiPinsDefaultDomain.ts';
import { iommufdGroupSharesDomain } from './records/iommufdGroupSharesDomain.ts';
import { pasidNeedsAcs } from './records/pasidNeedsAcs.ts';
import { resetFence } from './records/resetFence.ts';
import { stubsAreDriverManaged } from './records/stubsAreDriverManaged.ts';
import { untrustedFlushQueue } from './records/untrustedFlushQueue.ts';
import type { Decision } from './types.ts';

export const DECISIONS: readonly Decision[] = [
  dmaApiPinsDefaultDomain,
  claimBeforeDeviceFd,
  claimBlocksDma,
  stubsAreDriverManaged,
  pasidNeedsAcs,
  iommufdGroupSharesDomain,
  attachDeviceCountCheck,
  resetFence,
  untrustedFlushQueue,
];

export { evaluateDecision, formatExpect, type DecisionEvidence, type JobEvidence, type RuleEvidence, type WitnessEvidence } from './evaluate.ts';
export type { Decision, Expect, Rule, Witness } from './types.ts';
