/**
 * Confined states (src/engine/packed/confined.ts): a function run on the state confined to one
 * slot is noted as having strayed exactly when it looked at another slot, in any way a Proxy can
 * see, and it sees the real values either way. And the confined runs the per-slot entries are
 * made from: for random reachable states of the scaling model, every block that stayed in its
 * slot gives the calls, outcomes, successor codes and step invariants of model.apply (fixed
 * seed; FC_SEED overrides it).
 */
import { describe, expect, it } from 'vitest';
import { expectLeafIsApply, walkReachable } from '../helpers/memoModel.ts';
import { StateCodec } from '../../src/engine/packed/codec.ts';
import { ConfinedStates } from '../../src/engine/packed/confined.ts';
import { MemoModel } from '../../src/engine/packed/memoModel.ts';
import { NO_SLOT } from '../../src/engine/packed/recorder.ts';
import { buildModel } from '../../src/machines/model.ts';
import { patchDevice, updateDevice, type SystemState } from '../../src/machines/state.ts';
import { currentVariant } from '../../src/machines/variants/index.ts';
import { scalingScenario } from '../../bench/scaling.ts';
import { expectOk, model as builtin } from '../helpers/model.ts';

const SEED = Number(process.env.FC_SEED ?? 20261121);
const model = buildModel(scalingScenario(3, 2), currentVariant);

function confinedInit(s: SystemState = model.init) {
  const codec = new StateCodec(model.init);
  const code = new Int32Array(codec.k);
  codec.encode(s, code);
  return { codec, code, confined: new ConfinedStates(codec) };
}

describe('ConfinedStates', () => {
  it('reading the global part and slot 1, and patching slot 1, is no stray', () => {
    const { code, confined } = confinedInit();
    const s = confined.state(code, 1);
    const next = updateDevice(s, 1, { driver: 'e1000e' });
    expect([s.groups[0]!.owner_cnt, s.devices[1]!.driver, s.devices.length, next.devices[1]!.driver]).toEqual([0, null, 3, 'e1000e']);
    expect(confined.strayed).toBe(false);
  });

  const looks: [string, (s: SystemState) => unknown][] = [
    ['reading a field of slot 0', (s) => s.devices[0]!.driver],
    ["'in' on slot 0", (s) => 'driver' in s.devices[0]!],
    ['spreading slot 0', (s) => ({ ...s.devices[0]! })],
    ['patchDevice on slot 0', (s) => patchDevice(s.devices[0]!, { sva: true })],
    ['Object.keys of slot 0', (s) => Object.keys(s.devices[0]!)],
    ['serializing the whole state', (s) => JSON.stringify(s)],
    ['a filter over every slot', (s) => s.devices.filter((d) => d.present)],
  ];
  for (const [what, look] of looks) {
    it(`${what} from the state confined to slot 1 is a stray, answered with the real values`, () => {
      const bound = expectOk(model, model.init, { type: 'really_probe', dev: 0, driver: 'vfio-pci' });
      const { code, confined } = confinedInit(bound);
      const s = confined.state(code, 1);
      const seen = look(s);
      expect(confined.strayed).toBe(true);
      expect(JSON.parse(JSON.stringify(seen ?? null))).toEqual(JSON.parse(JSON.stringify(look(bound) ?? null)));
      confined.state(code, 1);
      expect(confined.strayed, 'state() clears the note').toBe(false);
    });
  }

  it('a group-wide block strays where VFIO_GROUP_SET_CONTAINER runs the pre-5.19 viability check (w1), which reads every device', () => {
    const m = builtin('vfio-vs-dma-api', 'w1-vfio-viability');
    const opened = expectOk(m, expectOk(m, m.init, { type: 'really_probe', dev: 0, driver: 'vfio-pci' }), { type: 'vfio_group_fops_open', ctx: 0, group: 0 });
    const codec = new StateCodec(m.init);
    const code = new Int32Array(codec.extLength);
    codec.encode(opened, code);
    const memo = new MemoModel(m, codec, [], []);
    const b = memo.blocks.findIndex((x) => x.slot === null);
    expect(memo.confinedBlock(b, code, NO_SLOT)).toBeNull();
    // The block's calls were listed, confined, before one of them strayed.
    expect(memo.events.map((e) => e.type)).toContain('vfio_group_ioctl_set_container');
  });
});

describe(`MemoModel.confinedBlock equals model.apply on reachable states (seed ${SEED})`, () => {
  it('same calls, outcomes, successor codes and step invariants for every block that stayed in its slot', () => {
    let stayed = 0;
    walkReachable(model, SEED, (s, m) => {
      m.memo.blocks.forEach((block, b) => {
        const ops = m.memo.confinedBlock(b, m.code, block.slot ?? NO_SLOT);
        if (ops === null) return;
        stayed++;
        expect(ops.map(({ u }) => m.memo.events[u])).toEqual(block.events(s));
        for (const { u, leaf } of ops) expectLeafIsApply(model, m, s, u, leaf);
      });
    });
    expect(stayed).toBeGreaterThan(1000);
  });
});
