/**
 * describeRoute (src/report/dmaRoute.ts): the hop-by-hop route of a DMA write to a peer's BAR,
 * as the traces of the hardware-backed scenarios show it. (Kept under test/scenarios because the
 * scenarios are what use it.)
 */
import { describe, expect, it } from 'vitest';
import { getBuiltinTopology } from '../../src/hardware/index.ts';
import { describeRoute } from '../../src/report/dmaRoute.ts';

const T = (name: string) => getBuiltinTopology(name)!;

describe('describeRoute', () => {
  it('switch without ACS: routed peer-to-peer at the downstream port, the IOMMU never sees it; names on a second line', () => {
    expect(describeRoute(T('switch-no-acs'), 'nic-a', 'nic-b', false)).toBe(
      '03:00.0 -> 02:08.0 (DSP, no ACS RR: routed peer-to-peer) -> 02:10.0 (DSP, down its window) -> 04:00.0 BAR0 0xa0200000; IOMMU never sees it\n' +
        '(03:00.0 = nic-a, 04:00.0 = nic-b)',
    );
  });

  it('PASID DMA under a switch without ACS lands on the peer BAR (routing ignores the PASID prefix)', () => {
    const text = describeRoute(T('sva-switch'), '03:00.0', '04:00.0', true);
    expect(text.split('\n')[0]).toBe('03:00.0 [PASID 1] -> 02:08.0 (DSP, no ACS RR: routed peer-to-peer) -> 02:10.0 (DSP, down its window) -> 04:00.0 BAR0 0xa0200000; IOMMU never sees it');
  });

  it('ACS RR+UF: redirected upstream through the switch and root port to the IOMMU', () => {
    expect(describeRoute(T('sva-switch-acs'), 'sva-accel', 'peer-nvme', true).split('\n')[0]).toBe(
      '03:00.0 [PASID 1] -> 02:08.0 (DSP, ACS RR: redirected upstream) -> 01:00.0 (USP, forwarded upstream) -> 00:01.0 (RP, ACS UF: forwarded upstream) -> IOMMU (requester 03:00.0, PASID 1); the IOMMU sees it and translates 0xa0200000',
    );
  });

  it('multifunction device without ACS: routed inside the device', () => {
    expect(describeRoute(T('multifunction-no-acs'), '01:00.0', '01:00.1', false).split('\n')[0]).toBe(
      '01:00.0 (multifunction, no ACS RR: routed inside the device) -> 01:00.1 BAR0 0xb0010000; IOMMU never sees it',
    );
  });

  it('conventional PCI: the shared bus delivers it', () => {
    expect(describeRoute(T('pcie-to-pci-bridge'), 'pci-sound', 'pci-serial', false).split('\n')[0]).toBe(
      '02:00.0 -> conventional PCI bus (shared, no ACS) -> 02:01.0 BAR0 0xc0001000; IOMMU never sees it',
    );
  });

  it('root port functions of one multifunction device without ACS talk through the root complex', () => {
    expect(describeRoute(T('root-port-no-acs'), 'nvme', 'wifi', false).split('\n')[0]).toBe(
      '01:00.0 -> 00:1c.0 (RP, no ACS RR: routed peer-to-peer) -> 00:1c.1 (RP, down its window) -> 02:00.0 BAR0 0xd0100000; IOMMU never sees it',
    );
  });

  it('one line when both devices are named by bdf only; a target without a BAR says so', () => {
    const t = { ...T('switch-no-acs'), devices: T('switch-no-acs').devices.map((d) => ({ ...d, name: d.bdf })) };
    expect(describeRoute(t, '03:00.0', '04:00.0', false)).not.toContain('\n');
    expect(describeRoute(T('switch-no-acs'), 'nic-a', 'sw0-dp1', false)).toBe('03:00.0 -> 02:10.0: 02:10.0 has no memory BAR');
  });

  it('ACS EC (egress control) on the downstream port: the request to the peer is blocked there', () => {
    const base = T('switch-acs');
    const ec = { cap: 0x3f, ctrl: 0x20 }; // SV TB RR CR UF EC in the capability, only EC enabled
    const t = { ...base, devices: base.devices.map((d) => (d.bdf === '02:08.0' ? { ...d, acs: ec } : d)) };
    expect(describeRoute(t, 'nic-a', 'nic-b', false).split('\n')[0]).toBe('03:00.0 -> 02:08.0 (DSP, ACS EC: blocked); blocked by ACS EC at 02:08.0');
  });

  it('throws for an unknown device', () => {
    expect(() => describeRoute(T('switch-no-acs'), 'nic-a', 'nope', false)).toThrow(/no device nope/);
  });
});
