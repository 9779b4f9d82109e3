/**
 * inferAcs: for an lspci dump taken without root (ACS `<access denied>`) that records the
 * kernel's IOMMU groups, the ACS assumptions under which mainline pci_device_group reproduces them.
 */
import { describe, expect, it } from 'vitest';
import { acsCandidates, compareGroupings, deriveGroups, inferAcs } from '../../src/hardware/index.ts';
import type { RecordedGroup } from '../../src/hardware/index.ts';
import { loadLspciFixture } from './helpers.ts';

describe('MSI Z370, lspci -vvn without root: which unreadable ACS capabilities the recorded groups need', () => {
  const dump = loadLspciFixture('msi-z370-coffeelake.vvn-nonroot.txt');
  const inf = inferAcs(dump.topology, dump.recordedGroups!);

  it('candidates are the devices whose ACS pci_acs_enabled reads: the root ports and the multifunction GPU endpoints', () => {
    expect(acsCandidates(dump.topology)).toEqual(['00:01.0', '00:1b.0', '00:1b.4', '00:1c.0', '00:1c.3', '01:00.0', '01:00.1', '03:00.0', '03:00.1']);
  });

  it('reproduces the recorded groups: Union Point root ports 00:1b.4 and 00:1c.3 must isolate (pci_acs_path_enabled holds above 03:00.x and 05:00.0)', () => {
    expect(inf.reproduced).toBe(true);
    expect(inf.unexplained).toEqual([]);
    expect(inf.isolating).toEqual(['00:1b.4', '00:1c.3']);
  });

  it('the CPU root port 00:01.0 must not isolate (the GPU 01:00.x is in its group), nor may the GPU functions 03:00.0/.1 (get_pci_function_alias_group joins them)', () => {
    expect(inf.notIsolating).toEqual(['00:01.0', '03:00.0', '03:00.1']);
  });

  it('ports with an empty secondary bus (00:1b.0, 00:1c.0) and the functions below the non-isolating CPU port may go either way', () => {
    expect(inf.either).toEqual(['00:1b.0', '00:1c.0', '01:00.0', '01:00.1']);
  });

  it('treating unreadable ACS as absent (the derivation default) does not reproduce the record', () => {
    expect(compareGroupings(deriveGroups(dump.topology), dump.recordedGroups!).matches).toBe(false);
  });
});

describe('inferAcs when nothing needs inferring or nothing can reproduce the record', () => {
  it('a root dump (every ACS readable) has no candidates and reproduces iff the groups already match', () => {
    const dump = loadLspciFixture('imac-cometlake-titanridge.nnvvv.txt');
    expect(inferAcs(dump.topology, dump.recordedGroups!)).toEqual({ reproduced: true, isolating: [], notIsolating: [], either: [], unexplained: [] });
  });

  it('a record that puts two root-bus slots in one group cannot come from pci_device_group whatever the ACS: not reproduced, the devices named', () => {
    const dump = loadLspciFixture('msi-z370-coffeelake.vvn-nonroot.txt');
    const merged: RecordedGroup[] = dump.recordedGroups!.map((g) => (g.id === 2 ? { id: 2, devices: ['00:02.0', '00:08.0'] } : g)).filter((g) => g.id !== 3);
    const inf = inferAcs(dump.topology, merged);
    expect(inf.reproduced).toBe(false);
    expect(inf.unexplained).toEqual(['00:02.0', '00:08.0']);
    expect(inf.either).toEqual([]);
  });
});
