/** A counterexample as a Mermaid sequence diagram: actors as participants, the kernel as one. */
import type { Violation } from '../engine/types.ts';
import type { Model } from '../machines/model.ts';
import { actorName, formatCall } from './formatEvent.ts';
import { diffStates, formatChanges } from './stateDiff.ts';

/** Mermaid-safe text: no characters that end a message or open a comment. */
const safe = (s: string): string => s.replace(/[;#]/g, ' ').replace(/%%/g, '%').replace(/[<>]/g, (m) => (m === '<' ? '‹' : '›'));

/** Participant ids must be simple identifiers. */
const pid = (name: string): string => `p_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;

export function toMermaid(v: Violation, model: Model): string {
  const lines = ['sequenceDiagram', '  autonumber'];
  const seen = new Set<string>();
  const actors: string[] = [];
  let prev = v.init;
  const steps = v.steps.map((st) => {
    const driver = 'dev' in st.event ? prev.devices[st.event.dev]?.driver : null;
    const a = actorName(st.event, model.scenario, driver);
    if (!seen.has(a)) {
      seen.add(a);
      actors.push(a);
    }
    const changes = formatChanges(diffStates(prev, st.state, model.scenario));
    prev = st.state;
    return { a, call: formatCall(st.event, model.scenario), ret: st.errno ? `-${st.errno}` : '0', changes };
  });
  for (const a of actors) lines.push(`  participant ${pid(a)} as ${safe(a)}`);
  lines.push('  participant kernel as kernel (iommu core)');
  for (const s of steps) {
    lines.push(`  ${pid(s.a)}->>kernel: ${safe(s.call)}`);
    lines.push(`  kernel-->>${pid(s.a)}: ${safe(s.ret)}${s.changes ? ` (${safe(s.changes)})` : ''}`);
  }
  lines.push(`  Note over kernel: ${safe(`${v.invariant} broken: ${v.reason}`)}`);
  return lines.join('\n');
}
