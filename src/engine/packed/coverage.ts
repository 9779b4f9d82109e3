/**
 * exploreFast's per-call counters and the coverage per event kind they give: keys in the order
 * each kind first fired, errnos in the order each first came back (as explore() reports them).
 */
import type { IommuEvent } from '../../machines/events.ts';
import type { EventCoverage } from '../types.ts';
import { OUTCOMES } from './memoModel.ts';

const NO = OUTCOMES.length;

export class CallCounters {
  /** counts[u * NO + o]: calls of event u with outcome o. */
  counts = new Float64Array(64 * NO);
  /** changed[u]: calls of event u that changed the state. */
  changed = new Float64Array(64);
  /** Per call: cache misses, and whether it now runs directly (see MemoModel.callDirect). */
  misses = new Uint32Array(64);
  runDirect = new Uint8Array(64);
  /** Indices into counts in the order each first became non-zero. */
  readonly firsts: number[] = [];

  /** Counts one call of event u with outcome o. */
  count(u: number, o: number): void {
    if (this.counts[u * NO + o]!++ === 0) this.firsts.push(u * NO + o);
  }

  /** Calls of event u counted so far. */
  total(u: number): number {
    let c = 0;
    for (let o = 0; o < NO; o++) c += this.counts[u * NO + o]!;
    return c;
  }

  /** Makes room for `events` events. */
  grow(events: number): void {
    let size = this.changed.length;
    if (events <= size) return;
    while (size < events) size *= 2;
    const counts = new Float64Array(size * NO);
    counts.set(this.counts);
    this.counts = counts;
    const changed = new Float64Array(size);
    changed.set(this.changed);
    this.changed = changed;
    const misses = new Uint32Array(size);
    misses.set(this.misses);
    this.misses = misses;
    const runDirect = new Uint8Array(size);
    runDirect.set(this.runDirect);
    this.runDirect = runDirect;
  }

  coverage(events: readonly IommuEvent[]): Record<string, EventCoverage> {
    const coverage: Record<string, EventCoverage> = {};
    for (const x of this.firsts) {
      const type = events[(x / NO) | 0]!.type;
      coverage[type] ??= { enabled: 0, ok: 0, changed: 0, errnos: {} };
      const o = x % NO;
      if (o !== 0) coverage[type].errnos[OUTCOMES[o]!] ??= 0;
    }
    events.forEach((e, u) => {
      const cov = coverage[e.type];
      if (!cov) return;
      for (let o = 0; o < NO; o++) {
        const c = this.counts[u * NO + o]!;
        cov.enabled += c;
        if (o === 0) cov.ok += c;
        else if (c > 0) cov.errnos[OUTCOMES[o]!]! += c;
      }
      cov.changed += this.changed[u]!;
    });
    return coverage;
  }
}
