/**
 * Model-based property: a random sequence of calls that actors can make (picked from
 * enumerateEvents in the state reached so far) is sent to a running XState actor and applied to
 * the semantic functions; the two agree, by canonical key, after every prefix.
 */
import fc from 'fast-check';
import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { canonicalKey } from '../../src/engine/serialize.ts';
import { enumerateEvents } from '../../src/machines/enumerate.ts';
import { eventKey, successor, type IommuEvent } from '../../src/machines/events.ts';
import { buildModel } from '../../src/machines/model.ts';
import { createSystemMachine, stateValueOf } from '../../src/machines/system.ts';
import { VARIANTS } from '../../src/machines/variants/index.ts';
import { BUILTIN_SCENARIOS } from '../../src/scenarios/builtin.ts';
import { FC_SEED } from './helpers.ts';

describe(`an XState actor and applyEvent agree on random call sequences (seed: ${FC_SEED})`, () => {
  it('every prefix gives the same canonical state and regions equal modeOf(context)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...BUILTIN_SCENARIOS),
        fc.constantFrom(...VARIANTS),
        fc.array(fc.nat(), { maxLength: 40 }),
        (scenario, variant, picks) => {
          const model = buildModel(scenario, variant);
          const actor = createActor(createSystemMachine(scenario, variant)).start();
          let s = model.init;
          const trace: string[] = [];
          for (const pick of picks) {
            const events: IommuEvent[] = enumerateEvents(scenario, s);
            if (events.length === 0) break;
            const e = events[pick % events.length]!;
            trace.push(eventKey(e));
            s = successor(model.apply(s, e)) ?? s;
            actor.send(e);
            const snap = actor.getSnapshot();
            expect(canonicalKey(snap.context), trace.join(' ; ')).toBe(canonicalKey(s));
            expect(snap.value).toEqual(stateValueOf(s));
          }
          actor.stop();
        },
      ),
      { seed: FC_SEED, numRuns: 300 },
    );
  });
});
