/** docs/decisions/README.md: the index of decision records with what the checker found per rule. Pure. */
import type { DecisionEvidence } from '../decisions/index.ts';
import { cell, generatedBy, recordFileName, ruleSummary } from './decisionRecord.ts';

export function renderDecisionIndex(all: readonly DecisionEvidence[], version: string): string {
  const out = [`<!-- ${generatedBy(version)} -->`, '', '# Design decisions', ''];
  out.push(
    'Each record asks one question about the DMA-ownership rules, cites the mailing-list threads and commits that settled it, and backs the answer with the model checker: the chosen rule (the pinned kernel) and every rejected alternative (a design variant) are explored exhaustively on the scenarios that decide it, and the record shows each verdict next to the expected one, with the counterexample of each rejected alternative as a sequence diagram.',
    '',
    'The records are generated from `src/decisions/` by `iommu-mc docs`; `iommu-mc docs --check` (run by CI) fails when a verdict changes or a file is stale. The state machines of the model are drawn in [../machines.md](../machines.md).',
    '',
    '| # | decision | status | chosen rule: checker | alternatives: checker |',
    '| --- | --- | --- | --- | --- |',
  );
  for (const e of all) {
    const d = e.decision;
    const wid = d.witness?.id;
    const alts = e.alternatives.map((r) => `\`${r.variant.name}\`: ${ruleSummary(r, wid)}`).join('<br>');
    out.push(`| [${d.id}](${recordFileName(e)}) | ${cell(d.title)} | ${d.status} | \`${e.chosen.variant.name}\`: ${ruleSummary(e.chosen, wid)} | ${alts} |`);
  }
  out.push('', '---', '', generatedBy(version), '');
  return out.join('\n');
}
