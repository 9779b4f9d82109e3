/**
 * Real lspci dumps (provenance in each fixture's # header): the derived grouping must
 * equal the recorded `IOMMU group:` lines when ACS was readable; when lspci ran without
 * root the ACS state is reported unknown, never guessed.
 */
import { describe, expect, it } from 'vitest';
import { compareGroupings, deriveGroups, getDevice, parseLspci, pciAcsEnabled, REQ_ACS_FLAGS } from '../../src/hardware/index.ts';
import { loadLspciFixture } from './helpers.ts';

const load = loadLspciFixture;

describe('parseLspci + pci_device_group on real dumps', () => {
  describe('iMac, Comet Lake PCH + Navi switch + Titan Ridge Thunderbolt switch (lspci -PP -nnvvv as root)', () => {
    const dump = load('imac-cometlake-titanridge.nnvvv.txt');
    it('rebuilds the hierarchy from -PP paths and bus ranges', () => {
      const t = dump.topology;
      expect(t.devices).toHaveLength(33);
      expect(getDevice(t, '07:00.0')).toMatchObject({ kind: 'upstream_port', secondary: 0x08, subordinate: 0x7c });
      expect(getDevice(t, '08:01.0')).toMatchObject({ kind: 'downstream_port', secondary: 0x0b, subordinate: 0x43 });
      expect(getDevice(t, '03:00.0')).toMatchObject({ kind: 'legacy_endpoint', multifunction: true, ats: true, pasid: true });
      expect(getDevice(t, '00:1f.0')).toMatchObject({ kind: 'pci_device', multifunction: true });
      expect(dump.unknownAcs).toEqual([]);
    });
    it('reads ACSCap/ACSCtl: the Titan Ridge downstream ports lack RR/CR in the capability, so they count as hard-wired', () => {
      const t = dump.topology;
      expect(pciAcsEnabled(t, getDevice(t, '08:00.0'), REQ_ACS_FLAGS)).toBe(true);
      expect(pciAcsEnabled(t, getDevice(t, '00:01.0'), REQ_ACS_FLAGS)).toBe(false); // CPU root port: no ACS capability
    });
    it('the derived grouping equals the recorded IOMMU groups (21 groups, same numbering as the probe order)', () => {
      const g = deriveGroups(dump.topology);
      expect(compareGroupings(g, dump.recordedGroups!)).toEqual({ matches: true, differences: [] });
      expect(g.groups.map((x) => x.id)).toEqual(dump.recordedGroups!.map((x) => x.id));
    });
  });

  describe('MSI Z370 desktop, lspci -vvn without root (<access denied>)', () => {
    const dump = load('msi-z370-coffeelake.vvn-nonroot.txt');
    it('marks ACS unknown and port types inferred for every device whose capabilities were denied', () => {
      expect(dump.unknownAcs).toHaveLength(18);
      expect(dump.unknownAcs).toContain('00:1b.4');
      expect(getDevice(dump.topology, '00:1b.4')).toMatchObject({ acs: 'unknown', kindKnown: false, kind: 'root_port' });
      expect(getDevice(dump.topology, '00:1f.0')).toMatchObject({ acs: null, kindKnown: true, kind: 'pci_device' }); // Status: Cap-
    });
    it('the derived grouping differs from the recorded one only at root ports whose ACS could not be read (Union Point, SPT quirk)', () => {
      const cmp = compareGroupings(deriveGroups(dump.topology), dump.recordedGroups!);
      expect(cmp.matches).toBe(false);
      const involved = new Set(cmp.differences.map((d) => d.slice(0, 7)));
      expect([...involved].sort()).toEqual(['00:1b.0', '00:1b.4', '00:1c.0', '00:1c.3', '03:00.0', '05:00.0']);
      for (const d of involved) expect(dump.unknownAcs).toContain(d);
    });
    it('where ACS does not matter the groups still match: the GPU joins the non-ACS CPU root port, PCH functions share a group', () => {
      const g = deriveGroups(dump.topology);
      expect(g.groupOf['01:00.0']).toBe(g.groupOf['00:01.0']);
      expect(g.groupOf['00:1f.4']).toBe(g.groupOf['00:1f.0']);
      expect(g.groupOf['00:14.2']).toBe(g.groupOf['00:14.0']);
    });
  });

  it('reports an empty file and a file without device lines as one-line errors', () => {
    expect(parseLspci('', 'e.txt')).toMatchObject({ ok: false, error: { message: 'e.txt: (root): expected lspci -vvv output, got an empty file' } });
    expect(parseLspci('hello\nworld\n', 'h.txt')).toMatchObject({ ok: false, error: { path: '(root)' } });
  });
});
