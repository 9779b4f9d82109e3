/**
 * Everything `iommu-mc docs` writes, as { name, text } relative to the docs directory: one
 * record per decision, the decision index, and machines.md. The decisions are evaluated here
 * (the checker runs); `mismatches` lists every verdict that disagrees with its record. Pure and
 * deterministic: the same model gives byte-identical files.
 */
import pkg from '../../package.json' with { type: 'json' };
import { DECISIONS, evaluateDecision, type Decision } from '../decisions/index.ts';
import { recordFileName, renderDecisionRecord } from './decisionRecord.ts';
import { renderDecisionIndex } from './decisionIndex.ts';
import { renderMachinesDoc } from './machinesDoc.ts';

/** The tool version stamped into every generated file. */
export const TOOL_VERSION: string = pkg.version;

export interface DocsBuild {
  files: { name: string; text: string }[];
  mismatches: string[];
}

/** Builds the generated docs for `decisions` (the registry by default). */
export function buildDocs(decisions: readonly Decision[] = DECISIONS, version = TOOL_VERSION): DocsBuild {
  const evidence = decisions.map(evaluateDecision);
  const files = [
    ...evidence.map((e) => ({ name: `decisions/${recordFileName(e)}`, text: renderDecisionRecord(e, version) })),
    { name: 'decisions/README.md', text: renderDecisionIndex(evidence, version) },
    { name: 'machines.md', text: renderMachinesDoc(version) },
  ];
  return { files, mismatches: evidence.flatMap((e) => e.mismatches) };
}
