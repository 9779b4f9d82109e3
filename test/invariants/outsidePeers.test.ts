/**
 * Devices of another IOMMU group (Scenario.outsidePeers): an SVA accelerator alone in its group
 * below a switch without ACS reaches a peer NVMe that mainline pci_device_group puts in another
 * group. I12 and P2P judge such peers; pci_enable_pasid's ACS RR+UF gate (drivers/pci/ats.c) is
 * what keeps today's kernel safe.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/explore.ts';
import { i12PasidSafety } from '../../src/invariants/i12PasidSafety.ts';
import { userP2pContained } from '../../src/invariants/userP2pContained.ts';
import type { Scenario } from '../../src/machines/scenario.ts';
import { initialState, updateDevice } from '../../src/machines/state.ts';
import { model } from '../helpers/model.ts';

describe('outside peers (sva-switch-peer)', () => {
  it('iommu_sva_bind_device under the device-count check (w4) binds the lone accelerator and breaks I12 at the NVMe in the other group', () => {
    const v = explore(model('sva-switch-peer', 'w4-sva-device-count')).violations.find((x) => x.invariant === 'I12')!;
    expect(v.reason).toBe("03:00.0 has PASID DMA enabled (SVA) and can reach peer-nvme's BAR (outside the group) peer-to-peer without the IOMMU");
    expect(v.steps.map((s) => s.event.type)).toEqual(['really_probe', 'iommu_sva_bind_device']);
  });

  it('the singleton lockdown (w5) passes the lone accelerator too: I12', () => {
    expect(explore(model('sva-switch-peer', 'w5-singleton-lockdown')).violations.map((x) => x.invariant)).toEqual(['I12']);
  });

  it('today pci_enable_pasid refuses PASID without ACS RR+UF on the downstream port: iommu_sva_bind_device fails and I12 holds', () => {
    const r = explore(model('sva-switch-peer'));
    expect(r.status).toBe('holds');
    expect(Object.keys(r.coverage.iommu_sva_bind_device?.errnos ?? {})).not.toEqual([]);
    expect(r.coverage.iommu_sva_bind_device?.ok).toBe(0);
  });

  it('P2P: a user device reaching a device of another group is a violation naming it', () => {
    const m = model('vfio-vs-dma-api');
    const scenario: Scenario = { ...m.scenario, outsidePeers: [{ name: 'peer-nvme', reachedFrom: [0] }] };
    const s = updateDevice(initialState(scenario), 0, (d) => ({ ...d, driver: 'vfio-pci', group_fd: 0 }));
    expect(userP2pContained.check!(s, scenario)).toBe("01:00.0 (ctx0) can reach peer-nvme's BAR (outside the group, another IOMMU group) peer-to-peer without the IOMMU");
    expect(i12PasidSafety.check!(s, scenario)).toBeNull();
  });
});
