/**
 * The IOMMU driver behind the ATS/IOTLB steps (issue 15, "cite the kernel function and driver
 * behind every rule"): the built-in ats-invalidation-order-smmuv3 holds under the kernel's order
 * (IOTLB, then ATC) and breaks INV-ORDER when the ATC is invalidated first, and its trace cites
 * arm-smmu-v3's functions; the default scenario cites intel's, one on AMD cites amd's. The VFIO
 * claim that moves a device with ATS to the blocking domain cites each driver's function that takes
 * ATS off (device_block_translation), with where the driver keeps ATS instead.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/explore.ts';
import { buildModel } from '../../src/machines/model.ts';
import { currentVariant, findVariant } from '../../src/machines/variants/index.ts';
import { formatTraceText } from '../../src/report/formatTrace.ts';
import { findScenario } from '../../src/scenarios/builtin.ts';
import { run } from '../helpers/cli.ts';
import { replay } from '../helpers/model.ts';

const atcBeforeIotlb = findVariant('atc-before-iotlb')!;
const SMMUV3 = 'drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c';

/** The text of the shortest `invariant` counterexample of `scenario` under `variant`. */
function traceText(scenario: ReturnType<typeof findScenario>, variant = atcBeforeIotlb, invariant = 'INV-ORDER'): string {
  const m = buildModel(scenario!, variant);
  const v = explore(m).violations.find((x) => x.invariant === invariant);
  expect(v, `${scenario!.name} under ${variant.name} breaks ${invariant}`).toBeDefined();
  return formatTraceText(v!, m);
}

describe('ats-invalidation-order-smmuv3: the invalidation order on an Arm SMMUv3', () => {
  const smmuv3 = findScenario('ats-invalidation-order-smmuv3')!;

  it('is a built-in on arm-smmu-v3, checked under the kernel and the variant that reverses the order', () => {
    expect(smmuv3.platform).toEqual({ iommuDriver: 'arm-smmu-v3' });
    expect(smmuv3.variants).toEqual(['current', 'atc-before-iotlb']);
    expect(atcBeforeIotlb.scenarios).toContain('ats-invalidation-order-smmuv3');
  });

  it('holds under the current kernel, with the state space of the intel scenario (one generic step for every driver)', () => {
    const arm = explore(buildModel(smmuv3, currentVariant));
    const intel = explore(buildModel(findScenario('ats-invalidation-order')!, currentVariant));
    expect(arm.violations).toEqual([]);
    expect([arm.distinctStates, arm.transitions]).toEqual([intel.distinctStates, intel.transitions]);
  });

  it('invalidating the ATC before the SMMU TLB breaks INV-ORDER and STALE', () => {
    expect(explore(buildModel(smmuv3, atcBeforeIotlb)).violations.map((v) => v.invariant).sort()).toEqual(['INV-ORDER', 'STALE']);
  });

  it('the trace cites arm-smmu-v3: arm_smmu_enable_ats for ATS, arm_smmu_tlb_inv_range_domain then arm_smmu_atc_inv_domain for the unmap', () => {
    const text = traceText(smmuv3);
    expect(text).toContain(`pci_enable_ats(03:00.0) = 0\n        driver arm-smmu-v3: arm_smmu_attach_commit -> arm_smmu_enable_ats (${SMMUV3})`);
    expect(text).toMatch(/iommu_iotlb_sync\(03:00\.0\) = 0\n {8}driver arm-smmu-v3: arm_smmu_iotlb_sync -> arm_smmu_tlb_inv_range_domain -> __arm_smmu_tlb_inv_range \(drivers\/iommu\/arm\/arm-smmu-v3\/arm-smmu-v3\.c\), as the kernel has it; variant atc-before-iotlb overrides iommu_iotlb_sync/);
    expect(text).toMatch(/iommu_flush_dev_iotlb\(03:00\.0\) = 0\n {8}driver arm-smmu-v3: arm_smmu_iotlb_sync -> arm_smmu_tlb_inv_range_domain -> arm_smmu_atc_inv_domain \(drivers\/iommu\/arm\/arm-smmu-v3\/arm-smmu-v3\.c\)/);
    // The steps cite no other driver (the invariant's reference under the trace names all three).
    expect(text.slice(0, text.indexOf('✗'))).not.toMatch(/intel|cache_tag|amd_iommu/);
  });

  it('the CLI prints the same trace for the built-in', async () => {
    const r = await run(['check', '--scenario', 'ats-invalidation-order-smmuv3', '--variant', 'atc-before-iotlb', '--traces', 'all']);
    expect(r.stdout).toMatch(/ats-invalidation-order-smmuv3\s+atc-before-iotlb\s+\S+ violated STALE,INV-ORDER/);
    expect(r.stdout).toContain(`driver arm-smmu-v3: arm_smmu_iotlb_sync -> arm_smmu_tlb_inv_range_domain -> arm_smmu_atc_inv_domain (${SMMUV3})`);
  });
});

describe('the other drivers', () => {
  it('a scenario that names no driver cites intel-iommu: cache_tag_flush_range\'s IOTLB, then device-TLB descriptors', () => {
    const text = traceText(findScenario('ats-invalidation-order'));
    expect(text).toContain('driver intel: intel_iommu_probe_finalize -> iommu_enable_pci_ats (drivers/iommu/intel/iommu.c)');
    expect(text).toContain('driver intel: intel_iommu_tlb_sync -> cache_tag_flush_range -> cache_tag_flush_devtlb_psi (drivers/iommu/intel/cache.c)');
  });

  it('on AMD the trace cites __domain_flush_pages: domain_flush_pages_v1, then device_flush_iotlb', () => {
    const amd = { ...findScenario('ats-invalidation-order')!, platform: { iommuDriver: 'amd' as const } };
    const text = traceText(amd);
    expect(text).toContain('driver amd: amd_iommu_attach_device -> pdev_enable_cap_ats (drivers/iommu/amd/iommu.c)');
    expect(text).toContain('driver amd: amd_iommu_iotlb_sync -> amd_iommu_domain_flush_pages -> __domain_flush_pages -> device_flush_iotlb (drivers/iommu/amd/iommu.c)');
  });

  it('the deferred flush cites the driver\'s flush_iotlb_all once, not again under its inner device-TLB flush', () => {
    const lazy = { ...findScenario('ats-vfio-claim-lazy')!, platform: { iommuDriver: 'arm-smmu-v3' as const } };
    const text = traceText(lazy, findVariant('ats-always-on-without-atc-flush')!);
    const step = text.slice(text.lastIndexOf('fq_flush_timeout('));
    expect(step).toContain(`driver arm-smmu-v3: arm_smmu_flush_iotlb_all -> arm_smmu_tlb_inv_context (${SMMUV3})`);
    expect(step).toMatch(/\n {10}iommu_flush_dev_iotlb\n/);
    expect(step.match(/driver arm-smmu-v3/g)).toHaveLength(1);
  });
});

describe('the domain switch that takes ATS off (device_block_translation) cites each driver\'s function', () => {
  const lazy = findScenario('ats-vfio-claim-lazy')!;
  const keepsAts = findVariant('ats-always-on-without-atc-flush')!;

  /**
   * The current kernel's trace of the VFIO claim of a device with ATS enabled and an ATC entry: the
   * steps of keepsAts's INV-ORDER counterexample up to vfio_group_ioctl_set_container, replayed.
   */
  function claimTrace(driver: 'intel' | 'arm-smmu-v3' | 'amd'): string {
    const scenario = { ...lazy, platform: { iommuDriver: driver } };
    const v = explore(buildModel(scenario, keepsAts)).violations.find((x) => x.invariant === 'INV-ORDER')!;
    const upTo = v.steps.findIndex((st) => st.event.type === 'vfio_group_ioctl_set_container') + 1;
    const m = buildModel(scenario, currentVariant);
    const events = v.steps.slice(0, upTo).map((st) => st.event);
    const states = replay(m, events);
    const steps = events.map((event, i) => ({ ...v.steps[i]!, event, state: states[i + 1]!, errno: null }));
    const text = formatTraceText({ ...v, steps }, m);
    return text.slice(text.indexOf('vfio_group_ioctl_set_container('), text.indexOf('✗'));
  }

  it('arm-smmu-v3: arm_smmu_attach_prepare disables ATS, then the whole ATC is invalidated in arm_smmu_attach_commit', () => {
    const step = claimTrace('arm-smmu-v3');
    expect(step).toMatch(
      /\n {16}device_block_translation\n {18}driver arm-smmu-v3: arm_smmu_attach_dev_blocked -> arm_smmu_attach_dev_ste -> arm_smmu_attach_prepare \(drivers\/iommu\/arm\/arm-smmu-v3\/arm-smmu-v3\.c\); pci_disable_ats, then the abort STE, then the whole ATC invalidated \(arm_smmu_attach_commit\)[^\n]*\n {18}pci_disable_ats\n/,
    );
    expect(step).toContain('ats.enabled [03:00.0]→[]');
  });

  it('amd: detach_device -> pdev_disable_caps -> pdev_disable_cap_ats, and the trace says when ATS comes back on', () => {
    const step = claimTrace('amd');
    expect(step).toMatch(/\n {18}driver amd: amd_iommu_attach_device -> detach_device -> pdev_disable_caps -> pdev_disable_cap_ats \(drivers\/iommu\/amd\/iommu\.c\); ATS comes back on[^\n]*blocked_domain_attach_device[^\n]*\n {18}pci_disable_ats\n/);
    expect(step).not.toMatch(/intel|arm_smmu/);
  });

  it('intel: device_block_translation -> domain_context_clear -> iommu_disable_pci_ats, legacy mode only', () => {
    expect(claimTrace('intel')).toContain(
      'driver intel: blocking_domain_attach_dev -> device_block_translation -> domain_context_clear -> iommu_disable_pci_ats (drivers/iommu/intel/iommu.c); legacy mode only: scalable mode keeps ATS and flushes the device-TLB (intel_pasid_tear_down_entry), as variant ats-always-on',
    );
  });

  it('a variant that overrides the step keeps the driver line and says so', () => {
    const text = traceText({ ...lazy, platform: { iommuDriver: 'arm-smmu-v3' as const } }, keepsAts);
    expect(text).toMatch(/driver arm-smmu-v3: arm_smmu_attach_dev_blocked -> [^\n]*, as the kernel has it; variant ats-always-on-without-atc-flush overrides device_block_translation\n/);
  });
});
