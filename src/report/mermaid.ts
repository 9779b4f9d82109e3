/** A counterexample as a Mermaid sequence diagram: actors as participants, the kernel as one. */
import type { Violation } from '../engine/types.ts';
import type { Model } from '../machines/model.ts';
import { traceRows } from './traceRows.ts';
import { nameContexts } from './stateDiff.ts';

/** Mermaid-safe text: no characters that end a message or open a comment. */
const safe = (s: string): string => s.replace(/[;#]/g, ' ').replace(/%%/g, '%').replace(/[<>]/g, (m) => (m === '<' ? '‹' : '›'));

/** Participant ids must be simple identifiers. */
const pid = (name: string): string => `p_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;

/**
 * The diagram of `v`; the closing note says which invariant broke, or `note` when given (a
 * witness, which breaks nothing).
 */
export function toMermaid(v: Violation, model: Model, note?: string): string {
  const lines = ['sequenceDiagram', '  autonumber'];
  const rows = traceRows(v, model);
  const actors = [...new Set(rows.map((r) => r.actor))];
  for (const a of actors) lines.push(`  participant ${pid(a)} as ${safe(a)}`);
  lines.push('  participant kernel as kernel (iommu core)');
  for (const r of rows) {
    lines.push(`  ${pid(r.actor)}->>kernel: ${safe(r.call)}`);
    lines.push(`  kernel-->>${pid(r.actor)}: ${safe(r.ret)}${r.changes ? ` (${safe(r.changes)})` : ''}`);
  }
  lines.push(`  Note over kernel: ${safe(note ?? `${v.invariant} broken: ${nameContexts(v.reason, model.scenario)}`)}`);
  return lines.join('\n');
}
