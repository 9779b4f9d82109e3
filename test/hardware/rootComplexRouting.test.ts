/**
 * The root bus is not a shared PCI bus: host bridges, root ports, RCiEPs and integrated
 * conventional functions are parts of the root complex, and a request one of them issues
 * enters the root complex. pci_device_group() (drivers/iommu/iommu.c) gives each root-bus
 * slot a group of its own and joins only the functions of one slot that
 * pci_acs_enabled() (drivers/pci/pci.c) does not isolate (get_pci_function_alias_group):
 * the root complex is assumed to route peer-to-peer only inside a multifunction device,
 * between slots only when `rcPeerToPeer` says the platform does.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FunctionSpec, TopologySpec } from '../../src/hardware/index.ts';
import { checkGroupingSoundness, deriveGroups, peerReach, routeMemoryRequest } from '../../src/hardware/index.ts';
import { ISOLATED, loadLspciFixture, topo } from './helpers.ts';

const SEED = Number(process.env.FC_SEED ?? 20250630);
const RUNS = process.env.CI ? 200 : 100;
const actions = (r: ReturnType<typeof routeMemoryRequest>) => r.hops.map((h) => `${h.at}:${h.action}`);

/** A root port with an endpoint below it, and root-bus functions next to it. */
const rc = (integrated: FunctionSpec[], rcPeerToPeer = false) =>
  topo({
    name: 'rc',
    rcPeerToPeer,
    rootPorts: [{ name: 'rp', bdf: '00:01.1', acs: ISOLATED, windows: [{ base: 0xfc000000, size: 0x100000 }] }],
    endpoints: [{ name: 'nvme', parent: 'rp', functions: [{ bdf: '01:00.0', bars: [{ base: 0xfc000000, size: 0x4000 }] }] }],
    integrated,
  });

describe('root complex routing: a root-bus function is not on a shared bus', () => {
  it('an RCiEP request for an address behind a root port enters the root complex and goes to the IOMMU (no shared-bus hop)', () => {
    const r = routeMemoryRequest(rc([{ bdf: '00:08.0', bars: [{ base: 0xfd000000, size: 0x1000 }] }]), { requester: '00:08.0', address: 0xfc000000 });
    expect(r.outcome).toMatchObject({ kind: 'iommu', rid: '00:08.0' });
    expect(actions(r)).toEqual(['00:08.0:issue', 'iommu:to-iommu']);
  });

  it('a conventional host-bridge function on the root bus (no Express capability) also goes to the IOMMU', () => {
    const t = rc([{ bdf: '00:00.0', kind: 'pci_device' }]);
    expect(routeMemoryRequest(t, { requester: '00:00.0', address: 0xfc000000 }).outcome.kind).toBe('iommu');
    expect(peerReach(t, '00:00.0', '01:00.0').bypassesIommu).toBe(false);
  });

  it('ASUS B350 dump: the AMD root complex 00:00.0 no longer "reaches" the NVMe 01:00.0 below GPP bridge 00:01.1', () => {
    const t = loadLspciFixture('asus-b350-ryzen-promontory.kvv.txt').topology;
    const r = peerReach(t, '00:00.0', '01:00.0');
    expect(r.bypassesIommu).toBe(false);
    expect(r.route.map((h) => h.action)).not.toContain('shared-bus');
    expect(checkGroupingSoundness(t)).toBeNull();
  });

  it('get_pci_function_alias_group: integrated conventional functions of one slot (like the AMD FCH SMBus/LPC 00:14.x) reach each other inside the device and share a group', () => {
    const t = rc([{ bdf: '00:14.0', kind: 'pci_device', bars: [{ base: 0xfe000000, size: 0x1000 }] }, { bdf: '00:14.3', kind: 'pci_device', bars: [{ base: 0xfe001000, size: 0x1000 }] }]);
    expect(actions(routeMemoryRequest(t, { requester: '00:14.0', address: 0xfe001000 }))).toEqual(['00:14.0:issue', '00:14.0:peer-internal', '00:14.3:claim']);
    const g = deriveGroups(t);
    expect(g.groupOf['00:14.0']).toBe(g.groupOf['00:14.3']);
    expect(checkGroupingSoundness(t, g)).toBeNull();
  });

  it('pci_acs_enabled on a multifunction RCiEP: with ACS RR the functions are isolated and the request goes to the IOMMU', () => {
    const t = rc([{ bdf: '00:08.0', acs: ISOLATED, bars: [{ base: 0xfe000000, size: 0x1000 }] }, { bdf: '00:08.1', acs: ISOLATED, bars: [{ base: 0xfe001000, size: 0x1000 }] }]);
    expect(routeMemoryRequest(t, { requester: '00:08.0', address: 0xfe001000 }).outcome.kind).toBe('iommu');
    expect(deriveGroups(t).groupOf['00:08.0']).not.toBe(deriveGroups(t).groupOf['00:08.1']);
  });

  it('rcPeerToPeer: the root complex routes an RCiEP request down the root port window; pci_device_group still separates the slots, so I13 breaks', () => {
    const t = rc([{ bdf: '00:08.0', bars: [{ base: 0xfd000000, size: 0x1000 }] }], true);
    const r = routeMemoryRequest(t, { requester: '00:08.0', address: 0xfc000000 });
    expect(actions(r)).toEqual(['00:08.0:issue', '00:08.0:route-peer', '00:01.1:route-down', '01:00.0:claim']);
    expect(checkGroupingSoundness(t)).toMatch(/^I13 broken: 00:08.0 \(group \d+\) reaches 01:00.0/);
  });
});

type Slot = { kind: 'rc_endpoint' | 'pci_device'; functions: number; acs: FunctionSpec['acs'] };
const slotArb: fc.Arbitrary<Slot> = fc.oneof(
  fc.record({ kind: fc.constant('rc_endpoint' as const), functions: fc.integer({ min: 1, max: 3 }), acs: fc.constantFrom<FunctionSpec['acs']>(null, ISOLATED) }),
  fc.record({ kind: fc.constant('pci_device' as const), functions: fc.integer({ min: 1, max: 3 }), acs: fc.constant(null) }),
);

/** Root-bus slots 00:08-00:0f, each with uniform ACS over its functions, next to `rc`'s root port. */
function integratedSpec(slots: Slot[], rcPeerToPeer: boolean): TopologySpec {
  let bar = 0xf0000000;
  const integrated = slots.flatMap((s, i) =>
    Array.from({ length: s.functions }, (_, f) => ({ bdf: `00:${(8 + i).toString(16).padStart(2, '0')}.${f}`, kind: s.kind, acs: s.acs, bars: [{ base: (bar += 0x1000), size: 0x1000 }] })),
  );
  return {
    name: 'random-rc',
    rcPeerToPeer,
    rootPorts: [{ name: 'rp', bdf: '00:01.1', acs: ISOLATED }],
    endpoints: [{ name: 'nvme', parent: 'rp', functions: [{ bdf: '01:00.0', bars: [{ base: 0xfc000000, size: 0x4000 }] }] }],
    integrated,
  };
}

describe(`I13 with root-bus functions (fast-check seed ${SEED})`, () => {
  it('mainline pci_device_group is sound for random RCiEP / integrated conventional slots when the root complex keeps slots apart', () => {
    fc.assert(
      fc.property(fc.array(slotArb, { minLength: 1, maxLength: 4 }), (slots) => {
        const t = topo(integratedSpec(slots, false));
        const reason = checkGroupingSoundness(t, deriveGroups(t));
        if (reason) throw new Error(reason);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
