/** A counterexample as a Mermaid sequence diagram: actors as participants, the kernel as one. */
import type { Violation } from '../engine/types.ts';
import type { Model } from '../machines/model.ts';
import type { DmaAccess } from './dmaAccess.ts';
import { traceRows } from './traceRows.ts';
import { nameContexts } from './stateDiff.ts';

/** Mermaid-safe text: no characters that end a message or open a comment. */
const safe = (s: string): string => s.replace(/[;#]/g, ' ').replace(/%%/g, '%').replace(/[<>]/g, (m) => (m === '<' ? '‹' : '›'));

/** What the IOMMU did with a DMA access, short: `page 0 via IOTLB, STALE (reused by another owner)`. */
function accessAnswer(a: DmaAccess): string {
  if (a.page === null) return `fault: ${a.owner}`;
  return `page ${a.page} via ${a.via === 'iotlb' ? 'IOTLB' : a.via === 'walk' ? 'page walk' : a.via}${a.stale ? ', STALE' : ''} (${a.owner})`;
}

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
  // A device's DMA goes to the IOMMU, not to the kernel: a participant of its own when the trace has one.
  if (rows.some((r) => r.access)) lines.push('  participant iommu as IOMMU');
  for (const r of rows) {
    const to = r.access ? 'iommu' : 'kernel';
    lines.push(`  ${pid(r.actor)}->>${to}: ${safe(r.call)}`);
    const answer = r.access ? accessAnswer(r.access) : r.ret;
    lines.push(`  ${to}-->>${pid(r.actor)}: ${safe(answer)}${r.changes ? ` (${safe(r.changes)})` : ''}`);
    // The translation path's changes, one a line, beside the call that made them.
    if (r.translation.length) lines.push(`  Note right of ${to}: ${r.translation.map(safe).join('<br/>')}`);
  }
  lines.push(`  Note over kernel: ${safe(note ?? `${v.invariant} broken: ${nameContexts(v.reason, model.scenario)}`)}`);
  return lines.join('\n');
}
