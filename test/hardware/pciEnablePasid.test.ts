import { describe, expect, it } from 'vitest';
import { builtinTopologies, peerReach, pciEnablePasid } from '../../src/hardware/index.ts';
import { ISOLATED, switchTopo } from './helpers.ts';

// drivers/pci/ats.c pci_enable_pasid()
describe('pci_enable_pasid', () => {
  it('returns -EINVAL for an SVA endpoint under a switch port without ACS RR|UF', () => {
    expect(pciEnablePasid(builtinTopologies['sva-switch']!, [], 'sva-accel')).toMatchObject({ ok: false, errno: 'EINVAL', reason: expect.stringContaining('02:08.0') });
  });
  it('succeeds when RR and UF are enabled on every port to the root', () => {
    expect(pciEnablePasid(builtinTopologies['sva-switch-acs']!, [], 'sva-accel')).toEqual({ ok: true, next: ['03:00.0'] });
  });
  it('needs only RR|UF, not SV or CR', () => {
    const t = switchTopo({ cap: ['SV', 'RR', 'CR', 'UF'], ctrl: ['RR', 'UF'] }, { pasid: true });
    expect(pciEnablePasid(t, [], 'a').ok).toBe(true);
  });
  it('returns -EBUSY when PASID is already enabled', () => {
    expect(pciEnablePasid(builtinTopologies['sva-switch-acs']!, ['03:00.0'], 'sva-accel')).toMatchObject({ ok: false, errno: 'EBUSY' });
  });
  it('returns -EINVAL without a PASID capability or without End-End TLP prefixes on the path', () => {
    expect(pciEnablePasid(builtinTopologies['sva-switch-acs']!, [], 'peer-nvme')).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(pciEnablePasid(switchTopo(ISOLATED, { pasid: true, eetlpPrefix: false }), [], 'a')).toMatchObject({ ok: false, errno: 'EINVAL', reason: expect.stringContaining('TLP prefix') });
  });
  it('a multifunction endpoint must itself have RR|UF (the walk starts at the device)', () => {
    expect(pciEnablePasid(builtinTopologies['multifunction-no-acs']!, [], '01:00.0')).toMatchObject({ ok: false });
  });
  it('I12 with routing: PASID DMA at the peer BAR lands on the peer without ACS, and goes to the IOMMU with RR+UF', () => {
    expect(peerReach(builtinTopologies['sva-switch']!, 'sva-accel', 'peer-nvme', { pasid: 1 }).bypassesIommu).toBe(true);
    expect(peerReach(builtinTopologies['sva-switch-acs']!, 'sva-accel', 'peer-nvme', { pasid: 1 }).bypassesIommu).toBe(false);
  });
});
