import { describe, expect, test } from 'vitest';
import { InputError } from '../../src/api/index.ts';
import { scenarioSuite } from '../../src/api/vitest.ts';

/** A safety net for a loaded machine, never a measure: each test takes a few seconds at most. */
const SAFETY = 60_000;

describe('scenarioSuite', { timeout: SAFETY }, () => {
  // One test per file of the folder, each checked against its own `expect:`.
  scenarioSuite(new URL('./fixtures/scenarios/', import.meta.url));

  test('scenarioSuite made one test per scenario file, named by the file, in one describe', ({ task }) => {
    const suite = task.suite!.tasks.find((t) => t.type === 'suite');
    expect(suite?.name).toBe('scenario files in test/api/fixtures/scenarios');
    expect(suite?.type === 'suite' && suite.tasks.map((t) => t.name)).toEqual(['two-nics-two-vms.yaml', 'vm-takes-both.yaml']);
  });

  test('a folder that does not exist is an InputError naming it', () => {
    expect(() => scenarioSuite('test/api/no-such-folder')).toThrow(InputError);
    expect(() => scenarioSuite('test/api/no-such-folder')).toThrow(/\/test\/api\/no-such-folder: cannot read the scenario folder \(no such directory\)$/);
  });

  test('a folder without scenario files is an InputError, not an empty suite', () => {
    expect(() => scenarioSuite(new URL('.', import.meta.url))).toThrow(/\/test\/api: expected scenario files \(\.yaml, \.yml, \.json\) in the folder, found none$/);
    expect(() => scenarioSuite(new URL('./fixtures/scenarios/', import.meta.url), { filter: () => false })).toThrow(/found none$/);
  });
});
