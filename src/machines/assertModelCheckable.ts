/**
 * A machine the checker may explore is a pure statechart: no invoked actors, no `after`
 * transitions, no delayed actions (raise / sendTo with `delay`). These are the restrictions
 * xstate/graph's validateMachine enforces (same messages); unlike it, this also looks at
 * `always` transitions and at actions referenced by name from the machine's implementations.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';

/** An action as stored on a state node: an inline action function, a `{ type, params }` reference or a name. */
type StoredAction = unknown;

/** The action implementation an action entry refers to (inline, or by name in `implementations.actions`). */
function resolveAction(machine: AnyStateMachine, action: StoredAction): unknown {
  const name = typeof action === 'string' ? action : (action as { type?: unknown } | null)?.type;
  if (typeof action !== 'function' && typeof name === 'string') {
    return (machine.implementations.actions as Record<string, unknown>)[name];
  }
  return action;
}

/** True for a built-in action created with a `delay` option (raise, sendTo, sendParent...). */
const isDelayed = (impl: unknown): boolean =>
  typeof impl === 'function' && 'delay' in impl && (impl as { delay?: unknown }).delay !== undefined;

function assertNode(machine: AnyStateMachine, node: AnyStateNode): void {
  if (node.invoke.length > 0) throw new Error('Invocations on test machines are not supported');
  if (node.after.length > 0) throw new Error('After events on test machines are not supported');
  const transitions = [...node.transitions.values()].flat().concat(node.always ?? []);
  const actions: StoredAction[] = [...node.entry, ...node.exit, ...transitions.flatMap((t) => t.actions)];
  for (const action of actions) {
    if (isDelayed(resolveAction(machine, action))) {
      throw new Error(`Delayed actions on test machines are not supported (state node '${node.id}')`);
    }
  }
  for (const child of Object.values(node.states)) assertNode(machine, child);
}

/** Throws unless `machine` has no invoke, no after and no delayed actions anywhere. */
export function assertModelCheckable(machine: AnyStateMachine): void {
  assertNode(machine, machine.root);
}
