/**
 * PASID-tagged DMA (issue 15, Deliver 3 and 5): a process submits work to the SVA device, which
 * the device executes by DMA tagged with the PASID of the process's bond; the IOMMU translates it
 * in the domain attached to the PASID now (pasid_array) or faults. iommu_sva_unbind_device's
 * caller must have stopped the device's DMA for the PASID (idxd_cdev_release:
 * idxd_device_drain_pasid), so no DMA of the old process reaches the PASID's next owner.
 * Built-in sva-pasid-reuse, variant unbind-without-work-drain.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/engine/explore.ts';
import { iopfOf } from '../../../src/machines/iopf.ts';
import { buildModel } from '../../../src/machines/model.ts';
import { workOf } from '../../../src/machines/svaWork.ts';
import { unbindWithoutWorkDrain } from '../../../src/machines/variants/translationPath.ts';
import { pasidReuse } from '../../../src/invariants/pasidReuse.ts';
import { findScenario } from '../../../src/scenarios/builtin.ts';
import { model, run } from '../../helpers/model.ts';
import { expectOverridable } from '../../helpers/overridable.ts';

const idxd = { type: 'really_probe', dev: 0, driver: 'idxd' } as const;
const bind0 = { type: 'iommu_sva_bind_device', dev: 0, mm: 0 } as const;
const bind1 = { type: 'iommu_sva_bind_device', dev: 0, mm: 1 } as const;
const unbind = { type: 'iommu_sva_unbind_device', dev: 0 } as const;
const submit = { type: 'sva_submit_work', dev: 0 } as const;
const dma = { type: 'dma_pasid', dev: 0, pasid: 1 } as const;

describe('the device DMAs with the PASID of its bond for the work a process submitted', () => {
  const m = model('sva-pasid-reuse');

  it('no work can be submitted without a bond; after the bind, the process submits work under its PASID', () => {
    const probed = run(m, [idxd]);
    expect(m.events(probed)).not.toContainEqual(submit);
    const s = run(m, [bind0, submit], probed);
    expect(workOf(iopfOf(s, 0))).toEqual([{ dev: 0, pasid: 1, mm: 0 }]);
    expect(m.events(s)).toContainEqual(dma);
    expect(m.events(s)).not.toContainEqual(submit);
  });

  it('the PASID-tagged DMA is translated in the process\'s own SVA domain: PASID-REUSE has nothing to report', () => {
    const s = run(m, [idxd, bind0, submit]);
    expect(pasidReuse.step!(s, dma, s, m.scenario)).toBeNull();
  });

  it('idxd drains the PASID\'s work before iommu_sva_unbind_device: no DMA of process 0 is left for process 1\'s binding', () => {
    const s = run(m, [idxd, bind0, submit, unbind]);
    expect(workOf(iopfOf(s, 0))).toEqual([]);
    expect(iopfOf(s, 0)).not.toHaveProperty('work');
    const rebound = run(m, [bind1], s);
    expect(rebound.groups[0]!.pasid_array).toEqual([{ pasid: 1, domain: 'sva:1' }]);
    expect(m.events(rebound)).not.toContainEqual(dma);
  });

  it('sva-pasid-reuse holds with the device\'s DMA in the interleavings', () => {
    expect(explore(m).violations).toEqual([]);
  });
});

describe('PASID-REUSE breaks when the driver unbinds with work in flight (unbind-without-work-drain)', () => {
  const scenario = findScenario('sva-pasid-reuse')!;

  it('after the teardown the DMA faults (no domain on the PASID); once the PASID is allocated again, it reaches process 1', () => {
    const m = buildModel(scenario, unbindWithoutWorkDrain);
    const unbound = run(m, [idxd, bind0, submit, unbind]);
    expect(unbound.groups[0]!.pasid_array).toEqual([]);
    expect(pasidReuse.step!(unbound, dma, unbound, scenario)).toBeNull();
    const rebound = run(m, [bind1], unbound);
    expect(pasidReuse.step!(rebound, dma, rebound, scenario)).toMatch(/DMA with PASID 1, for work submitted for process 0 .* reaches sva:1 \(process 1's address space\)/);
  });

  it('the checker finds it with a trace ending in the DMA', () => {
    const r = explore(buildModel(scenario, unbindWithoutWorkDrain));
    expect(r.violations.map((v) => v.invariant)).toEqual(['PASID-REUSE']);
    expect(r.violations[0]!.steps.at(-1)!.event).toEqual(dma);
  });

  it('a variant file can override idxd_device_drain_pasid', () => {
    expectOverridable('idxd_device_drain_pasid', scenario);
  });
});
