/**
 * The decomposed form of the state invariants: every state invariant is a scan over the device
 * slots (so exploreFast can cache it per component), and the helpers behave like the loops they
 * replace: first reason in slot order, counts.
 */
import { describe, expect, it } from 'vitest';
import { INVARIANTS } from '../../src/invariants/index.ts';
import { countDevices, firstReason, productScan, runScan } from '../../src/invariants/deviceScan.ts';
import { initialState } from '../../src/machines/state.ts';
import { BUILTIN_SCENARIOS } from '../../src/scenarios/builtin.ts';

const scenario = BUILTIN_SCENARIOS.find((s) => s.devices.length >= 2)!;
const s = initialState(scenario);

describe('device scans', () => {
  it('every state invariant is defined by a scan', () => {
    for (const inv of INVARIANTS.filter((i) => i.check)) expect(inv.scan, inv.id).toBeDefined();
  });

  it('firstReason returns the first global reason, then the first device in slot order, then the last part', () => {
    const dev = (_s: unknown, i: number) => (i >= 1 ? `slot ${i}` : null);
    expect(runScan(firstReason({ device: dev }), s, scenario)).toBe('slot 1');
    expect(runScan(firstReason({ first: () => 'global', device: dev }), s, scenario)).toBe('global');
    expect(runScan(firstReason({ device: () => null, last: () => 'last' }), s, scenario)).toBe('last');
    expect(runScan(firstReason({}), s, scenario)).toBeNull();
  });

  it('productScan carries its parts side by side and hands all their values to its end', () => {
    const scan = productScan(
      [
        { start: () => 0, device: (n, _s, i) => (i > 0 ? (n as number) + 1 : n) },
        { start: () => null, device: (r, _s, i) => r ?? (i === 1 ? 'slot 1' : null) },
      ],
      (accs) => `${accs[0]}:${accs[1]}`,
    );
    expect(runScan(scan, s, scenario)).toBe(`${s.devices.length - 1}:slot 1`);
    // A step that changes no part keeps the accumulator itself (engines compare by identity).
    const acc = scan.start(s, scenario);
    expect(scan.device(acc, s, 0, scenario)).toBe(acc);
  });

  it('countDevices hands the count of matching slots to its check', () => {
    const scan = countDevices({ counts: (_s, i) => i > 0, check: (_s, n) => `n=${n}` });
    expect(runScan(scan, s, scenario)).toBe(`n=${s.devices.length - 1}`);
  });
});
