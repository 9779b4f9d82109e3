/** A counterexample as rows, one per call: who called what, what it returned, what changed. */
import type { Violation } from '../engine/types.ts';
import type { IommuEvent } from '../machines/events.ts';
import type { Model } from '../machines/model.ts';
import type { SystemState } from '../machines/state.ts';
import { dmaAccessOf, type DmaAccess } from './dmaAccess.ts';
import { actorName, formatCall } from './formatEvent.ts';
import { diffStates, formatChange, formatChanges } from './stateDiff.ts';

export interface TraceRow {
  /** `driver core`, `hotplug`, `e1000e@01:00.0`, or the context's name. */
  actor: string;
  /** `vfio_group_fops_open(qemu)`. */
  call: string;
  /** `0` or `-EBUSY`. */
  ret: string;
  /** The state changes but the translation path's, `group.owner NULL→vfio_group, ...`, or empty. */
  changes: string;
  /** The translation path's changes, one per changed page, PTE, cache entry or DMA handle: `iotlb[default, iova 0] NULL→page 0`. */
  translation: string[];
  /** The DMA access the step made (a device's DMA event), or null. */
  access: DmaAccess | null;
  event: IommuEvent;
  /** The state the call started from. */
  before: SystemState;
}

/** The rows of a trace, in order. */
export function traceRows(v: Pick<Violation, 'init' | 'steps'>, model: Model): TraceRow[] {
  let prev = v.init;
  return v.steps.map((st) => {
    const driver = 'dev' in st.event ? prev.devices[st.event.dev]?.driver : null;
    const changes = diffStates(prev, st.state, model.scenario);
    const row = {
      actor: actorName(st.event, model.scenario, driver),
      call: formatCall(st.event, model.scenario),
      ret: st.errno ? `-${st.errno}` : '0',
      changes: formatChanges(changes.filter((c) => !c.translation)),
      translation: changes.filter((c) => c.translation).map(formatChange),
      access: st.errno ? null : dmaAccessOf(prev, st.event, model.scenario),
      event: st.event,
      before: prev,
    };
    prev = st.state;
    return row;
  });
}
