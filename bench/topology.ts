/**
 * `npx tsx bench/topology.ts [--max-root-ports N]`: how `iommu-mc topology` scales with the
 * number of functions, on the synthetic topologies of issue 18 (test/hardware/bigTopology.ts:
 * N root ports, each a switch of 4 ports with an 8-function endpoint per port, so 32 N endpoint
 * functions), once without ACS (every function forges every other group's requester IDs, so the
 * JSON lists about (32 N)^2 RID crossings) and once with ACS SV RR CR UF on every port.
 * For each: the CLI's wall time for the text report and for --json (start-up included; the
 * start-up alone is measured on a built-in topology), and the JSON size. Not a test: nothing here
 * asserts a time. About 20 s with the default --max-root-ports 16; 32 (the issue's 1,024
 * endpoint functions) adds about 20 s more, most of it the no-ACS --json (hundreds of MB).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { FunctionSpec } from '../src/hardware/index.ts';
import { bigTopologyCounts, bigTopologySpec } from '../test/hardware/bigTopology.ts';

const ISOLATED: FunctionSpec['acs'] = { cap: ['SV', 'RR', 'CR', 'UF'], ctrl: ['SV', 'RR', 'CR', 'UF'] };
const bin = new URL('../bin/iommu-mc.mjs', import.meta.url).pathname;

const opts = new Command('npx tsx bench/topology.ts')
  .description('Scaling of `iommu-mc topology` on synthetic topologies (not a test).')
  .option('--max-root-ports <n>', 'largest number of root ports (32 endpoint functions each), 1-32; sizes run: 8, 16, 32', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 32) throw new InvalidArgumentError(`expected a whole number 1-32, got "${v}"`);
    return n;
  }, 16)
  .parse()
  .opts<{ maxRootPorts: number }>();

/** Wall seconds and stdout bytes of one CLI run (stdout counted by a pipe to wc, not kept). */
function timeCli(args: string[]): { seconds: number; bytes: number } {
  const t0 = performance.now();
  const r = spawnSync('sh', ['-c', `node "${bin}" topology ${args.map((a) => `"${a}"`).join(' ')} | wc -c`], { encoding: 'utf8' });
  return { seconds: (performance.now() - t0) / 1000, bytes: Number(r.stdout.trim()) };
}

const dir = mkdtempSync(join(tmpdir(), 'imc-bench-topology-'));
try {
  const startup = timeCli(['switch-acs']);
  console.log(`start-up (built-in switch-acs, text): ${startup.seconds.toFixed(2)} s`);
  console.log('root ports  endpoint fns  functions  ACS       text s   json s   json MB');
  for (const n of [8, 16, 32].filter((x) => x <= opts.maxRootPorts)) {
    for (const [label, acs] of [['none', null], ['isolated', ISOLATED]] as const) {
      const file = join(dir, `big-${n}-${label}.json`);
      writeFileSync(file, JSON.stringify(bigTopologySpec(n, acs)));
      const text = timeCli([file]);
      const json = timeCli([file, '--json']);
      const c = bigTopologyCounts(n);
      console.log(
        `${String(n).padStart(10)}  ${String(c.endpointFunctions).padStart(12)}  ${String(c.functions).padStart(9)}  ${label.padEnd(8)}  ${text.seconds.toFixed(2).padStart(6)}  ${json.seconds.toFixed(2).padStart(7)}  ${(json.bytes / 1e6).toFixed(1).padStart(8)}`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
