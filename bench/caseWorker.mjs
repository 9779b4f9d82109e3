// One bench measurement in a worker thread of its own (bench/case.ts): a fresh V8 isolate per
// case, in the bench's process. Loads the TypeScript through tsx, as bin/bench.mjs does.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';
register();
const { runCase } = await import('./case.ts');
parentPort.postMessage(await runCase(workerData));
