import { describe, expect, it } from 'vitest';
import { builtinTopologies, routeMemoryRequest } from '../../src/hardware/index.ts';
import { ISOLATED, switchTopo, topo } from './helpers.ts';

const B = 0xa0200000; // b's BAR
const actions = (r: ReturnType<typeof routeMemoryRequest>) => r.hops.map((h) => `${h.at}:${h.action}`);

describe('routeMemoryRequest (switch routing by address, ACS per port)', () => {
  it('a downstream port without ACS RR routes a peer request to the sibling port\'s BAR', () => {
    const r = routeMemoryRequest(switchTopo(null), { requester: 'a', address: B });
    expect(r.outcome).toEqual({ kind: 'peer', target: '04:00.0', bar: 0 });
    expect(actions(r)).toEqual(['03:00.0:issue', '02:00.0:route-peer', '02:01.0:route-down', '04:00.0:claim']);
  });
  it('ACS RR on the ingress port redirects the peer request upstream to the IOMMU', () => {
    const r = routeMemoryRequest(switchTopo(ISOLATED), { requester: 'a', address: B });
    expect(r.outcome).toMatchObject({ kind: 'iommu', rid: '03:00.0', address: B });
    expect(actions(r)).toContain('02:00.0:redirect-upstream');
  });
  it('without ACS UF the root port reflects a redirected request back down to the peer', () => {
    const r = routeMemoryRequest(switchTopo(ISOLATED, {}, { cap: ['SV', 'RR', 'CR', 'UF'], ctrl: ['SV', 'RR', 'CR'] }), { requester: 'a', address: B });
    expect(r.outcome).toEqual({ kind: 'peer', target: '04:00.0', bar: 0 });
    expect(actions(r)).toContain('00:01.0:reflect-down');
  });
  it('a PASID-tagged request is routed by address exactly like an untagged one', () => {
    const t = builtinTopologies['sva-switch']!;
    const plain = routeMemoryRequest(t, { requester: 'sva-accel', address: B });
    const tagged = routeMemoryRequest(t, { requester: 'sva-accel', address: B, pasid: 7 });
    expect(tagged.outcome).toEqual(plain.outcome);
    expect(tagged.outcome.kind).toBe('peer');
  });
  it('ACS TB blocks an ATS-translated request at the port', () => {
    const t = switchTopo({ cap: ['SV', 'TB', 'RR', 'CR', 'UF'], ctrl: ['SV', 'TB', 'RR', 'CR', 'UF'] });
    expect(routeMemoryRequest(t, { requester: 'a', address: 0x1000, translated: true }).outcome).toEqual({ kind: 'blocked', at: '02:00.0', bit: 'TB' });
  });
  it('ACS DT lets a translated request go directly peer-to-peer despite RR', () => {
    const t = switchTopo({ cap: ['SV', 'RR', 'CR', 'UF', 'DT'], ctrl: ['SV', 'RR', 'CR', 'UF', 'DT'] });
    expect(routeMemoryRequest(t, { requester: 'a', address: B, translated: true }).outcome.kind).toBe('peer');
    expect(routeMemoryRequest(t, { requester: 'a', address: B }).outcome.kind).toBe('iommu');
  });
  it('ACS SV blocks a request whose requester ID is not below the port', () => {
    expect(routeMemoryRequest(switchTopo(ISOLATED), { requester: 'a', address: 0x1000, requesterId: '04:00.0' }).outcome).toEqual({ kind: 'blocked', at: '02:00.0', bit: 'SV' });
  });
  it('without ACS SV a spoofed requester ID reaches the IOMMU as the other device', () => {
    expect(routeMemoryRequest(switchTopo({ cap: ['SV', 'RR', 'CR', 'UF'], ctrl: ['RR', 'CR', 'UF'] }), { requester: 'a', address: 0x1000, requesterId: '04:00.0' }).outcome).toMatchObject({ kind: 'iommu', rid: '04:00.0' });
  });
  it('ACS EC (egress control) blocks the peer request at the ingress port', () => {
    const t = switchTopo({ cap: ['SV', 'RR', 'CR', 'UF', 'EC'], ctrl: ['EC'] });
    expect(routeMemoryRequest(t, { requester: 'a', address: B }).outcome).toEqual({ kind: 'blocked', at: '02:00.0', bit: 'EC' });
  });
  it('ACS CR has no effect on memory requests (completions are not modelled)', () => {
    const t = switchTopo({ cap: ['CR'], ctrl: ['CR'] });
    expect(routeMemoryRequest(t, { requester: 'a', address: B }).outcome.kind).toBe('iommu'); // RR/UF hard-wired per cap
    expect(routeMemoryRequest(switchTopo({ cap: ['RR', 'CR'], ctrl: ['CR'] }), { requester: 'a', address: B }).outcome.kind).toBe('peer');
  });
  it('a multifunction device without ACS RR delivers function-to-function inside the device', () => {
    const r = routeMemoryRequest(builtinTopologies['multifunction-no-acs']!, { requester: '01:00.0', address: 0xb0010000 });
    expect(actions(r)).toEqual(['01:00.0:issue', '01:00.0:peer-internal', '01:00.1:claim']);
  });
  it('devices on a conventional PCI bus see each other\'s transactions directly', () => {
    const r = routeMemoryRequest(builtinTopologies['pcie-to-pci-bridge']!, { requester: 'pci-sound', address: 0xc0001000 });
    expect(r.outcome).toEqual({ kind: 'peer', target: '02:01.0', bar: 0 });
  });
  it('a request from behind a PCIe-to-PCI bridge reaches the IOMMU with the bridge alias (secondary bus, 00.0)', () => {
    const r = routeMemoryRequest(builtinTopologies['pcie-to-pci-bridge']!, { requester: 'pci-serial', address: 0x1000 });
    expect(r.outcome).toMatchObject({ kind: 'iommu', rid: '02:00.0' });
  });
  it('root ports in different slots do not route to each other unless the root complex does peer-to-peer', () => {
    const spec = (rcPeerToPeer: boolean) =>
      topo({ name: 'rc', rcPeerToPeer, rootPorts: [{ name: 'r0', bdf: '00:1c.0' }, { name: 'r1', bdf: '00:1d.0' }], endpoints: [{ name: 'x', parent: 'r0', functions: [{ bdf: '01:00.0' }] }, { name: 'y', parent: 'r1', functions: [{ bdf: '02:00.0', bars: [{ base: 0xe0000000, size: 0x1000 }] }] }] });
    expect(routeMemoryRequest(spec(false), { requester: 'x', address: 0xe0000000 }).outcome.kind).toBe('iommu');
    expect(routeMemoryRequest(spec(true), { requester: 'x', address: 0xe0000000 }).outcome.kind).toBe('peer');
  });
  it('an address nobody claims below the sibling port is unclaimed', () => {
    const t = topo({ name: 'u', rootPorts: [{ name: 'rp', bdf: '00:01.0', acs: ISOLATED }], switches: [{ name: 's', parent: 'rp', upstream: { bdf: '01:00.0' }, ports: [{ name: 'd0', bdf: '02:00.0' }, { name: 'd1', bdf: '02:01.0', windows: [{ base: 0xf0000000, size: 0x100000 }] }] }], endpoints: [{ name: 'a', parent: 'd0', functions: [{ bdf: '03:00.0' }] }] });
    expect(routeMemoryRequest(t, { requester: 'a', address: 0xf0000010 }).outcome).toEqual({ kind: 'unclaimed', at: '02:01.0' });
  });
  it('a wrong ACS quirk isolates in the kernel\'s eyes while the hardware still routes peer-to-peer', () => {
    const t = topo({ name: 'wq', rootPorts: [{ name: 'rp', bdf: '00:1c.0' }], endpoints: [{ name: 'e', parent: 'rp', functions: [{ bdf: '01:00.0', id: '8086:1521', quirkBroken: true }, { bdf: '01:00.1', id: '8086:1521', bars: [{ base: 0xb0000000, size: 0x1000 }] }] }] });
    expect(routeMemoryRequest(t, { requester: '01:00.0', address: 0xb0000000 }).outcome.kind).toBe('peer');
  });
});
