/** `iommu-mc list`: the built-in scenarios, the variants and the invariants, with descriptions. */
import { Command } from 'commander';
import { INVARIANTS } from '../../invariants/index.ts';
import { DRIVER_STEPS, IOMMU_DRIVER_CALLS, IOMMU_DRIVERS } from '../../kernel/iommuDrivers.ts';
import { iommuDriverOf } from '../../machines/platform.ts';
import { VARIANTS } from '../../machines/variants/index.ts';
import { table } from '../../report/checkReport.ts';
import { BUILTIN_SCENARIOS } from '../../scenarios/builtin.ts';
import type { CommandFactory } from './commandFactory.ts';

export const listCommand: CommandFactory = () =>
  new Command('list')
    .description('List the built-in scenarios, the design variants and the invariants')
    .option('--json', 'one JSON object on stdout')
    .action((o: { json?: boolean }) => {
      if (o.json) {
        const out = {
          scenarios: BUILTIN_SCENARIOS.map((s) => ({ name: s.name, description: s.description, devices: s.devices.length, contexts: s.contexts.length, hotplug: s.hotplug, topology: s.topology, iommuDriver: iommuDriverOf(s) })),
          variants: VARIANTS.map((v) => ({ name: v.name, kind: v.kind, description: v.description, source: v.source, breaks: v.breaks, overrides: Object.keys(v.overrides) })),
          invariants: INVARIANTS.map((i) => ({ id: i.id, name: i.name, kind: i.kind ?? (i.check ? 'state' : 'step'), description: i.description, kernelRef: i.kernelRef })),
          iommuDrivers: IOMMU_DRIVER_CALLS,
        };
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      // Cut to the width on a terminal only: a pipe or a file gets every description whole.
      const cut = !!process.stdout.isTTY;
      const w = (s: string, n = 90) => (cut && s.length > n ? `${s.slice(0, n - 1)}…` : s);
      process.stdout.write(`Scenarios\n${table(BUILTIN_SCENARIOS.map((s) => [s.name, `${s.devices.length}`, w(s.description)]), ['name', 'devs', 'description'])}\n\n`);
      process.stdout.write(`Variants\n${table(VARIANTS.map((v) => [v.name, v.kind, v.breaks.join(',') || '-', w(v.description, 80)]), ['name', 'kind', 'breaks', 'description'])}\n\n`);
      process.stdout.write(`Invariants (checked in this order)\n${table(INVARIANTS.map((i) => [i.id, i.name, w(i.description, 80)]), ['id', 'name', 'description'])}\n\n`);
      // The driver functions behind the generic ATS/IOTLB steps (src/kernel/iommuDrivers.ts).
      const rows = IOMMU_DRIVERS.flatMap((d) => DRIVER_STEPS.map((step) => [d, step, IOMMU_DRIVER_CALLS[d][step].chain.join(' -> '), IOMMU_DRIVER_CALLS[d][step].file]));
      process.stdout.write(`IOMMU drivers (scenario platform: iommuDriver; default intel): the driver function behind each model step\n${table(rows, ['driver', 'model step', 'driver function', 'file'])}\n`);
    });
