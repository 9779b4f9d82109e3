/**
 * docs/machines.md: each XState region of the model drawn as a Mermaid stateDiagram-v2, walked
 * from the machine definitions themselves (machine.root, its states and their transitions: event,
 * guard, target, description), and a table of every event with its kernel source file (from the
 * semantic layer's KERNEL_FUNCTION_FILES) and the kernel functions it was seen to run on the
 * built-in scenarios (recorded by running the semantic functions). Deterministic. Pure.
 */
import { reach } from '../engine/diff.ts';
import { DRIVER_STEPS, IOMMU_DRIVER_CALLS, IOMMU_DRIVER_SOURCES, IOMMU_DRIVERS } from '../kernel/iommuDrivers.ts';
import { createDeviceMachine } from '../machines/device.ts';
import { IOMMU_EVENT_TYPES, NON_KERNEL_EVENT_SOURCES, type IommuEventType } from '../machines/events.ts';
import { createIommufdDeviceMachine } from '../machines/iommufdDevice.ts';
import { createIommuGroupMachine } from '../machines/iommuGroup.ts';
import { buildModel } from '../machines/model.ts';
import type { Scenario } from '../machines/scenario.ts';
import { KERNEL_FUNCTION_FILES, type KernelFnName } from '../machines/semantics/kernel.ts';
import { currentVariant } from '../machines/variants/index.ts';
import { createVfioGroupMachine } from '../machines/vfioGroup.ts';
import { BUILTIN_SCENARIOS } from '../scenarios/builtin.ts';
import { recordCalls } from './callTree.ts';
import { cell, generatedBy } from './decisionRecord.ts';

/** What the walk needs of a machine: xstate's root state node. */
interface Walkable {
  root: {
    initial?: { target?: readonly { key: string }[] } | undefined;
    states: Record<string, { key: string; description?: string | undefined; transitions: Map<string, readonly Edge[]> }>;
  };
}
interface Edge {
  target?: readonly { key: string }[] | undefined;
  guard?: unknown;
  description?: string | undefined;
}

/** One transition as drawn: from, event, guard, to, kernel call chain. */
interface Drawn {
  from: string;
  event: string;
  guard: string;
  to: string;
  description: string;
}

/** `iommuGroupLeadsTo(mode=kernel)`. */
function guardLabel(g: unknown): string {
  if (!g || typeof g !== 'object' || !('type' in g)) return typeof g === 'string' ? g : '';
  const { type, params } = g as { type: string; params?: Record<string, unknown> };
  const args = params ? Object.entries(params).map(([k, v]) => `${k}=${String(v)}`).join(', ') : '';
  return `${type}(${args})`;
}

/** The named transitions (events other than `'*'`) and the `'*'` fallback targets per state. */
function walk(m: Walkable): { initial: string; states: { key: string; description: string }[]; named: Drawn[]; fallback: Map<string, string[]> } {
  const named: Drawn[] = [];
  const fallback = new Map<string, string[]>();
  const states = Object.values(m.root.states).map((s) => ({ key: s.key, description: s.description ?? '' }));
  for (const s of Object.values(m.root.states)) {
    for (const [event, edges] of s.transitions) {
      for (const t of edges) {
        const to = t.target?.map((x) => x.key).join(', ') ?? s.key;
        if (event === '*') fallback.set(s.key, [...(fallback.get(s.key) ?? []), to]);
        else named.push({ from: s.key, event, guard: guardLabel(t.guard), to, description: t.description ?? '' });
      }
    }
  }
  return { initial: m.root.initial?.target?.[0]?.key ?? '', states, named, fallback };
}

/** Mermaid label text: no characters that end a label or open a comment. */
const label = (s: string): string => s.replace(/[;#:]/g, ' ').replace(/%%/g, '%');

function diagram(w: ReturnType<typeof walk>): string {
  const lines = ['stateDiagram-v2', `  [*] --> ${w.initial}`];
  for (const t of w.named) lines.push(`  ${t.from} --> ${t.to} : ${label(`${t.event} [${t.guard}]`)}`);
  return lines.join('\n');
}

interface MachineDoc {
  title: string;
  source: string;
  about: string;
  machine: Walkable;
}

/** The four region machines, each built standalone over one scenario (its initial state decides the initial mode). */
function machines(scenario: Scenario): MachineDoc[] {
  return [
    { title: 'iommu_group', source: 'src/machines/iommuGroup.ts', about: 'struct iommu_group: the ownership mode (drivers/iommu/iommu.c).', machine: createIommuGroupMachine(scenario) },
    { title: 'VFIO group file', source: 'src/machines/vfioGroup.ts', about: 'struct vfio_group and its container (drivers/vfio/group.c, container.c).', machine: createVfioGroupMachine(scenario) },
    { title: 'device driver binding (one per device slot)', source: 'src/machines/device.ts', about: 'struct device->driver and group membership (drivers/base/dd.c, drivers/iommu/iommu.c); drawn for slot 0.', machine: createDeviceMachine(scenario, 0) },
    { title: 'iommufd device binding (one per device slot)', source: 'src/machines/iommufdDevice.ts', about: 'struct iommufd_device through the VFIO cdev (drivers/vfio/device_cdev.c, drivers/iommu/iommufd/device.c); drawn for slot 0.', machine: createIommufdDeviceMachine(scenario, 0) },
  ];
}

/** For each event type, the kernel functions it ran (first-seen order) over every reachable state of the built-in scenarios under the current kernel. */
function observedCalls(): Map<IommuEventType, KernelFnName[]> {
  const seen = new Map<IommuEventType, KernelFnName[]>();
  for (const scenario of BUILTIN_SCENARIOS) {
    const model = buildModel(scenario, currentVariant);
    for (const s of reach(model, 100_000).states) {
      for (const e of model.events(s)) {
        const list = seen.get(e.type) ?? [];
        for (const r of recordCalls(model, s, e)) if (r.fn !== e.type && !list.includes(r.fn)) list.push(r.fn);
        seen.set(e.type, list);
      }
    }
  }
  return seen;
}

function machineSection(m: MachineDoc): string[] {
  const w = walk(m.machine);
  const out = [`## ${m.title}`, '', `${m.about} Defined in \`${m.source}\`.`, '', '```mermaid', diagram(w), '```', ''];
  out.push('| state | meaning |', '| --- | --- |', ...w.states.map((s) => `| \`${s.key}\` | ${cell(s.description)} |`), '');
  out.push('| from | event (kernel function) | guard | to | kernel call chain |', '| --- | --- | --- | --- | --- |');
  for (const t of w.named) out.push(`| \`${t.from}\` | \`${t.event}\` | \`${t.guard}\` | \`${t.to}\` | ${cell(t.description)} |`);
  const fb = [...w.fallback].map(([from, tos]) => `\`${from}\` → ${tos.map((t) => `\`${t}\``).join(', ')}`).join('; ');
  out.push('', `The \`'*'\` fallback (any other event whose semantic successor changes the mode; taken only by design variants, and, targetless, for "mode unchanged"): ${fb}.`, '');
  return out;
}

/** The driver functions behind the generic ATS/IOTLB steps, per `platform.iommuDriver` (src/kernel/iommuDrivers.ts). */
function driverSection(): string[] {
  const out = ['## IOMMU drivers', ''];
  out.push(
    'A scenario names its IOMMU driver with `platform: iommuDriver` (intel, the default; arm-smmu-v3; amd). The model has one generic step per rule, named after the core function or intel\'s historical name, since all three drivers invalidate the IOTLB before the device-TLBs and wait; traces and `iommu-mc list` cite the driver\'s own functions below. No state or verdict depends on the driver.',
    '',
    '| model step | ' + IOMMU_DRIVERS.join(' | ') + ' |',
    '| --- |' + IOMMU_DRIVERS.map(() => ' --- |').join(''),
  );
  for (const step of DRIVER_STEPS) out.push(`| \`${step}\` | ${IOMMU_DRIVERS.map((d) => `${IOMMU_DRIVER_CALLS[d][step].chain.map((f) => `\`${f}\``).join(' → ')} (${IOMMU_DRIVER_CALLS[d][step].file.replace(/^drivers\//, '')})`).join(' | ')} |`);
  const notes = DRIVER_STEPS.flatMap((step) => IOMMU_DRIVERS.flatMap((d) => (IOMMU_DRIVER_CALLS[d][step].note ? [`- \`${step}\` on ${d}: ${IOMMU_DRIVER_CALLS[d][step].note}.`] : [])));
  if (notes.length) out.push('', 'Where a driver differs from the model\'s step:', '', ...notes);
  out.push('', `Read in: ${IOMMU_DRIVERS.map((d) => `${d} ${IOMMU_DRIVER_SOURCES[d].repo}@${IOMMU_DRIVER_SOURCES[d].commit.slice(0, 12)}`).join('; ')} (docs/kernel-notes.md section 10.7).`, '');
  return out;
}

/** The whole of docs/machines.md. */
export function renderMachinesDoc(version: string): string {
  const scenario = BUILTIN_SCENARIOS[0]!;
  const out = [`<!-- ${generatedBy(version)} -->`, '', '# The state machines of the model', ''];
  out.push(
    '`src/machines/system.ts` composes these regions into one parallel XState machine (one `device` and one `iommufdDevice` region per device slot). Every event is a kernel entry point, named verbatim; every guard runs the call through the semantic functions (`src/machines/semantics`) and compares the mode of the result, so the diagrams are drawn from the machine definitions, not maintained by hand.',
    '',
    `Initial states are those of scenario \`${scenario.name}\` (a hot-plug slot starts \`absent\`).`,
    '',
  );
  for (const m of machines(scenario)) out.push(...machineSection(m));
  const calls = observedCalls();
  out.push('## Events and kernel functions', '', 'Every event of the model, the kernel file of the function it is named after, and the kernel functions it ran, in first-seen order, over every reachable state of the built-in scenarios under the current kernel.', '');
  out.push('| event (kernel function) | source file | runs |', '| --- | --- | --- |');
  for (const type of IOMMU_EVENT_TYPES) {
    const runs = (calls.get(type) ?? []).map((f) => `\`${f}\` (${KERNEL_FUNCTION_FILES[f].replace(/^drivers\//, '')})`).join(', ');
    out.push(`| \`${type}\` | ${(KERNEL_FUNCTION_FILES as Readonly<Record<string, string>>)[type] ?? NON_KERNEL_EVENT_SOURCES[type]} | ${runs || '—'} |`);
  }
  out.push('', ...driverSection());
  out.push('---', '', generatedBy(version), '');
  return out.join('\n');
}
