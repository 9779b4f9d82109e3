import { isDriverName, DRIVERS } from '../kernel/drivers.ts';
import { msiWriteOutcome, userOfDevice } from '../machines/msiDoorbell.ts';
import { platformOf } from '../machines/platform.ts';
import { contextDevices, type Scenario } from '../machines/scenario.ts';
import { defineInvariant } from './defineInvariant.ts';
import { devName } from './facts.ts';

/** Device slot i is an `msi` device that some user context may take through a VFIO driver. */
const userControllable = (scenario: Scenario, i: number): boolean =>
  scenario.devices[i]?.msi === true &&
  scenario.devices[i]!.drivers.some((d) => isDriverName(d) && DRIVERS[d].vfio) &&
  scenario.contexts.some((_, ctx) => contextDevices(scenario, ctx).includes(i));

/**
 * MSI: a DMA write from a user-controlled device to the MSI doorbell raises only interrupts of
 * its owner. Judged on the hardware event (msi_doorbell_write) with the platform's facts, not the
 * kernel's rule: without interrupt remapping the write can raise any vector of the machine, so
 * the kernel must not have given the device to user space (vfio_iommu_type1_attach_group,
 * iommufd_device_bind: -EPERM) unless the admin set allow_unsafe_interrupts, the accepted
 * trade-off W11 (kernel-semantics.md section 6), which this invariant reports as violated.
 */
export const msiIsolation = defineInvariant({
  id: 'MSI',
  name: 'MsiIsolation',
  description:
    'A DMA write from a user-controlled device to the MSI doorbell raises only interrupts of its owner: without interrupt remapping no device is user-controlled.',
  kernelRef:
    'iommu_group_has_isolated_msi (drivers/iommu/iommu.c); vfio_iommu_type1_attach_group (drivers/vfio/vfio_iommu_type1.c) and iommufd_device_bind (drivers/iommu/iommufd/device.c): -EPERM unless allow_unsafe_interrupts',
  step(prev, event, _next, scenario) {
    if (event.type !== 'msi_doorbell_write') return null;
    const ctx = userOfDevice(prev, event.dev);
    if (ctx === null || msiWriteOutcome(scenario, prev, event.dev) !== 'any') return null;
    const who = scenario.contexts[ctx]?.name ?? `ctx${ctx}`;
    const unsafe = platformOf(scenario).allowUnsafeInterrupts ? ' (allow_unsafe_interrupts is set: the admin accepted this)' : '';
    return `${devName(scenario, event.dev)}, controlled by ${who}, writes the MSI doorbell without interrupt remapping: the message data picks the vector, so it can raise any interrupt of the machine (host devices', other contexts')${unsafe}`;
  },
  notJudged(scenario) {
    if (!scenario.devices.some((d) => d.msi === true)) return 'no device of the scenario has `msi` (its doorbell writes are not explored)';
    if (!scenario.devices.some((_, i) => userControllable(scenario, i))) return 'no `msi` device can be user-controlled: none has a VFIO driver that a context may take';
    if (platformOf(scenario).irqRemapping) return 'the platform remaps interrupts (platform.irqRemapping): a doorbell write raises only the device\'s own vectors, whatever the kernel allows';
    return null;
  },
});
