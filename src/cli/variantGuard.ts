/**
 * The wrapper around each override of a variant file: whatever the user's function does wrong
 * becomes one UsageError line naming the file and the override (exit 2), never a stack trace from
 * deep in the engine. It catches
 *
 * - a throw (a frozen state written to in place is a TypeError: variant files run in strict mode),
 *   and a call of process.exit;
 * - a result that is not a KernelResult, or whose state is malformed (./variantState.ts);
 * - nondeterminism: an outermost override call runs twice on the same (state, args) (every call
 *   at first, then a sample) and the two results must be equal, so a counter in a closure or
 *   Math.random() is named at once instead of ending in an internal "could not replay" error, or
 *   in a verdict on an arbitrary state space;
 *
 * and tells the watchdog (./watchdog.ts) when an outermost call starts and ends, and keeps the
 * names of the overrides running, so that one that does not return can be named.
 */
import { viewTargetOf } from '../engine/packed/recorder.ts';
import { ERRNO } from '../kernel/errno.ts';
import type { Scenario } from '../machines/scenario.ts';
import type { KernelFn } from '../machines/semantics/kernel.ts';
import type { SystemState } from '../machines/state.ts';
import { UsageError } from './errors.ts';
import { shown, stateProblem } from './variantState.ts';
import { callEnded, callStarted } from './watchdog.ts';

/** The overrides running now, outermost first (left as they were when the watchdog ends a run). */
export const running: string[] = [];
/** The overrides called inside the outermost call running now. */
const calledInside = new Set<string>();

/** User code called process.exit while it was forbidden (see forbidProcessExit). */
export class ProcessExitCalled extends Error {
  override readonly name = 'ProcessExitCalled';
  constructor(readonly code: unknown) {
    super(`variant files may not call process.exit (it was called with ${String(code ?? '')})`);
  }
}

/**
 * Makes process.exit throw ProcessExitCalled until the returned function is called; that
 * restores it (once) and returns the first call made meanwhile, even one the user's code caught.
 */
export function forbidProcessExit(): () => ProcessExitCalled | null {
  const exit = process.exit;
  let first: ProcessExitCalled | null = null;
  const forbidden = ((code?: unknown) => {
    throw (first ??= new ProcessExitCalled(code));
  }) as typeof process.exit;
  process.exit = forbidden;
  return () => {
    if (process.exit === forbidden) process.exit = exit;
    return first;
  };
}

/** What is wrong with a kernel function's return value, or null when it is a KernelResult. */
function badResult(r: unknown, s: SystemState, scenario: Scenario): string | null {
  if (r === null || typeof r !== 'object') return `returned ${shown(r)}`;
  const x = r as Record<string, unknown>;
  if (x.ok === true) {
    const p = stateProblem(x.next, s, scenario);
    return p && `returned ok() with ${p}`;
  }
  if (x.ok !== false) return 'returned an object without a boolean "ok"';
  if (typeof x.errno !== 'string' || !(x.errno in ERRNO)) return `returned err() with errno ${JSON.stringify(x.errno)}, not one of ${Object.keys(ERRNO).join(', ')}`;
  if (typeof x.reason !== 'string') return 'returned err() without a reason string';
  const p = x.after === undefined ? null : stateProblem(x.after, s, scenario);
  return p && `returned errAfter() with ${p}`;
}

const EXPECTED = 'expected ok(next), err(errno, reason) or errAfter(errno, reason, after)';

/** The line for an exception thrown by the user's function. */
function thrownText(e: unknown): string {
  if (e instanceof ProcessExitCalled) return `called process.exit(${String(e.code ?? '')}); an override must return a result, not end the process`;
  const msg = e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e);
  if (e instanceof TypeError && /^Cannot (?:assign to read only property|add property|delete property|define property)|trap returned falsish/.test(e.message)) {
    return `threw ${msg}; states are frozen: return a new state (updateGroup, updateDevice, updateVfioGroup, updateContainer) instead of changing s`;
  }
  return `threw ${msg}; ${EXPECTED.replace('expected', 'expected it to return')}`;
}

/** Where two results first differ ("next.groups[0].owner_cnt: 1, then 2"), or null when they are equal. */
function difference(a: unknown, b: unknown, at: string): string | null {
  if (Object.is(a, b)) return null;
  const objects = a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b);
  if (!objects) return `${at || 'the result'}: ${shown(a)}, then ${shown(b)}`;
  // An engine's device views are compared by slot and patch: reading their fields would be recorded.
  const [va, vb] = [viewTargetOf(a), viewTargetOf(b)];
  if (va || vb) return va && vb && va.j === vb.j ? difference(va.patch, vb.patch, at) : `${at}: two different device slots`;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  for (const k of keys) {
    const d = difference(x[k], y[k], Array.isArray(a) ? `${at}[${k}]` : at ? `${at}.${k}` : k);
    if (d !== null) return d;
  }
  return null;
}

/** Outermost calls of an override that all run twice; after them, one in DETERMINISM_EVERY does. */
const DETERMINISM_ALL = 1000;
const DETERMINISM_EVERY = 8;

/** Wraps a user's override (see the top of this file). */
export function guard(file: string, name: string, fn: KernelFn<unknown>): KernelFn<unknown> {
  const fail = (what: string) => new UsageError(`${file}: overrides.${name}: ${what}`);
  const call: KernelFn<unknown> = (env, s, a) => {
    let r: unknown;
    try {
      r = fn(env, s, a);
    } catch (e) {
      throw e instanceof UsageError ? e : fail(thrownText(e));
    }
    const bad = badResult(r, s, env.scenario);
    if (bad) throw fail(bad.includes('; expected') ? bad : `${bad}; ${EXPECTED}`);
    return r as ReturnType<KernelFn<unknown>>;
  };
  let calls = 0;
  return (env, s, a) => {
    const outer = running.length === 0;
    running.push(name);
    if (outer) {
      calledInside.clear();
      callStarted();
    } else calledInside.add(name);
    try {
      const r = call(env, s, a);
      // Every call of the first DETERMINISM_ALL, then one in DETERMINISM_EVERY: a counter or
      // Math.random() shows within a few calls, and a long run pays a few per cent, not double.
      if (!outer || (++calls > DETERMINISM_ALL && calls % DETERMINISM_EVERY !== 0)) return r;
      const d = difference(r, call(env, s, a), '');
      if (d === null) return r;
      const inner = [...calledInside].filter((n) => n !== name);
      const also = inner.length ? ` (or an override it calls: ${inner.map((n) => `overrides.${n}`).join(', ')})` : '';
      throw new UsageError(
        `${file}: overrides.${name}${also} is not deterministic: the same call on the same state returned two different results (${d}); overrides must be pure functions of (env, s, args)`,
      );
    } finally {
      running.pop();
      if (outer) callEnded();
    }
  };
}
