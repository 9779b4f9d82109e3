// A visited-set shard's worker thread (./shard.ts). Loads the TypeScript through tsx, as
// bin/iommu-mc.mjs does, since a worker does not inherit the loader its parent registered.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';
register();
const { runShard } = await import('./shard.ts');
runShard(workerData);
