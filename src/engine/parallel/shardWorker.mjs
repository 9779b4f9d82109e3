// A visited-set shard's worker thread (./shard.ts). Loads the TypeScript through tsx, as
// bin/iommu-mc.mjs does, since a worker does not inherit the loader its parent registered.
// A failure to load is reported through the shared memory: the explorer is blocked waiting on it
// and would not see an 'error' event.
import { workerData } from 'node:worker_threads';

try {
  const { register } = await import('tsx/esm/api');
  register();
  const { runShard } = await import(new URL(workerData.entry, import.meta.url).href);
  runShard(workerData);
} catch (e) {
  const text = new TextEncoder().encode(String(e?.stack ?? e)).subarray(0, workerData.error.byteLength);
  new Uint8Array(workerData.error).set(text);
  const ctl = new Int32Array(workerData.ctl);
  Atomics.store(ctl, workerData.errorWord, Math.max(1, text.length));
  Atomics.notify(ctl, workerData.errorWord);
}
