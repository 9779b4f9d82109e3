/**
 * DMABUF export of a BAR (issue 16, Deliver 6): vfio_pci_core_feature_dma_buf (with
 * IOMMU_IOAS_MAP_FILE) and vfio_pci_dma_buf_move, the revoke beside every zap, and BAR on a peer's
 * DMA through the IOMMU (p2p_dma_to_bar). Built-in vfio-bar-dmabuf.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/engine/explore.ts';
import { barDecodeOn } from '../../../src/invariants/barDecodeOn.ts';
import { groupComponents } from '../../../src/scenarios/decompose.ts';
import { findScenario } from '../../../src/scenarios/builtin.ts';
import { expectErrno, expectOk, model, run } from '../../helpers/model.ts';

const GPU = 0;
const NIC = 1;
const probe = (dev: number) => ({ type: 'really_probe', dev, driver: 'vfio-pci' }) as const;
const bind = (dev: number) => ({ type: 'vfio_df_ioctl_bind_iommufd', ctx: 0, dev }) as const;
const attachNic = { type: 'vfio_df_ioctl_attach_pt', ctx: 0, dev: NIC, hwpt: 0 } as const;
const exportBar = { type: 'vfio_pci_core_feature_dma_buf', ctx: 0, dev: GPU } as const;
const decode = (on: boolean) => ({ type: 'vfio_basic_config_write', ctx: 0, dev: GPU, memory: on ? 1 : 0 }) as const;
const p2p = { type: 'p2p_dma_to_bar', ctx: 0, dev: GPU } as const;
const types = (es: { type: string }[]) => es.map((e) => e.type);
const ready = [probe(GPU), probe(NIC), bind(GPU), bind(NIC), attachNic];

describe('vfio_pci_core_feature_dma_buf (+ IOMMU_IOAS_MAP_FILE)', () => {
  it('with decode on maps the BAR into the IOAS: the NIC on the hwpt DMAs to it through the IOMMU', () => {
    const m = model('vfio-bar-dmabuf');
    expect(m.init.devices.map((d) => d.dma_buf)).toEqual(['none', 'none']);
    const s = expectOk(m, run(m, ready), exportBar);
    expect(s.devices[GPU]!.dma_buf).toBe('mapped');
    expect(types(m.events(s))).toContain('p2p_dma_to_bar');
    expect(barDecodeOn.step!(s, p2p, expectOk(m, s, p2p), m.scenario)).toBeNull();
  });

  it('with decode off is -ENODEV: the export starts revoked and vfio_pci_dma_buf_iommufd_map refuses it', () => {
    const m = model('vfio-bar-dmabuf');
    expectErrno('ENODEV', m, run(m, [...ready, decode(false)]), exportBar);
  });

  it('no peer DMA is offered while no other device of the context is attached to an hwpt', () => {
    const m = model('vfio-bar-dmabuf');
    const s = run(m, [probe(GPU), bind(GPU), exportBar]);
    expect(types(m.events(s))).not.toContain('p2p_dma_to_bar');
  });
});

describe('vfio_pci_dma_buf_move: the revoke beside every zap', () => {
  it('clearing decode revokes the export (iopt_revoke_notify unmaps it); setting decode again does not map it back', () => {
    const m = model('vfio-bar-dmabuf');
    const off = run(m, [...ready, exportBar, decode(false)]);
    expect(off.devices[GPU]!.dma_buf).toBe('revoked');
    expect(types(m.events(off))).not.toContain('p2p_dma_to_bar');
    const on = expectOk(m, off, decode(true));
    expect(on.devices[GPU]!.dma_buf).toBe('revoked');
    expect(expectOk(m, on, exportBar).devices[GPU]!.dma_buf).toBe('mapped');
  });

  it('VFIO_DEVICE_RESET revokes it before the reset', () => {
    const m = model('vfio-bar-dmabuf');
    const s = run(m, [...ready, exportBar, { type: 'vfio_pci_ioctl_reset', ctx: 0, dev: GPU }]);
    expect(s.devices[GPU]).toMatchObject({ dma_buf: 'revoked', memory_lock: true });
  });

  it('closing the GPU revokes it (vfio_pci_dma_buf_cleanup)', () => {
    const m = model('vfio-bar-dmabuf');
    const s = run(m, [...ready, exportBar, { type: 'vfio_df_unbind_iommufd', ctx: 0, dev: GPU }]);
    expect(s.devices[GPU]!.dma_buf).toBe('revoked');
  });
});

describe('BAR on vfio-bar-dmabuf', () => {
  it('with the GPU and the NIC in two groups, the iommufd context couples them: not decomposed (the peer DMA reads both)', () => {
    const s = findScenario('vfio-bar-dmabuf')!;
    const split = { ...s, groups: [{ name: 'gpu' }, { name: 'nic' }], devices: s.devices.map((d, i) => ({ ...d, group: i })) };
    expect(groupComponents(split)).toEqual([[0, 1]]);
    expect(groupComponents({ ...split, devices: split.devices.map(({ barDmabuf: _b, ...d }) => d) })).toEqual([[0], [1]]);
  });

  it('holds under the current kernel; without the revoke the NIC\'s DMA reaches the BAR with decode off', () => {
    expect(explore(model('vfio-bar-dmabuf')).violations).toEqual([]);
    const r = explore(model('vfio-bar-dmabuf', 'dma-buf-revoke-skipped'));
    expect(r.violations.map((v) => v.invariant)).toEqual(['BAR']);
    expect(r.violations[0]!.reason).toMatch(/^08:00\.0's DMA through the IOMMU to the IOAS mapping of the exported BAR reaches 07:00\.0's BAR (with memory decode off|while VFIO_DEVICE_RESET)/);
  });
});
