/**
 * Generator of large synthetic topologies (the shape of issue 18's B6): N root ports `00:NN.0`,
 * each with a switch (upstream `BB:00.0`, four downstream ports `DB:0P.0`), each downstream port
 * with an 8-function endpoint `EB:00.0-7`, one 4 KB BAR per function at distinct addresses.
 * N = 32 gives 32 * (1 + 1 + 4 + 32) = 1,216 functions, 1,024 of them endpoint functions.
 * Used by test/hardware/bigTopology.test.ts and bench/topology.ts.
 */
import type { FunctionSpec, TopologySpec } from '../../src/hardware/index.ts';

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** Counts of a generated topology with `rootPorts` root ports. */
export function bigTopologyCounts(rootPorts: number): { functions: number; endpointFunctions: number; bridges: number } {
  const endpointFunctions = rootPorts * 4 * 8;
  const bridges = rootPorts * (1 + 1 + 4);
  return { functions: endpointFunctions + bridges, endpointFunctions, bridges };
}

/**
 * The topology spec with `rootPorts` root ports (1..32: root port slots 00-1f).
 * `acs`: the ACS of every port (default: none, so every endpoint reaches every other one below
 * the same switch peer-to-peer, the worst case for the reachability matrix).
 */
export function bigTopologySpec(rootPorts: number, acs: FunctionSpec['acs'] = null): TopologySpec {
  if (rootPorts < 1 || rootPorts > 32) throw new Error(`bigTopologySpec: 1..32 root ports, got ${rootPorts}`);
  const spec: Required<Pick<TopologySpec, 'rootPorts' | 'switches' | 'endpoints'>> = { rootPorts: [], switches: [], endpoints: [] };
  let bus = 1;
  let addr = 0x1_0000_0000;
  for (let r = 0; r < rootPorts; r++) {
    const rp = `rp${r}`;
    spec.rootPorts.push({ name: rp, bdf: `00:${hex2(r)}.0`, acs });
    const upBus = bus++;
    const downBus = bus++;
    const ports = [0, 1, 2, 3].map((p) => ({ name: `rp${r}-dp${p}`, bdf: `${hex2(downBus)}:${hex2(p)}.0`, acs }));
    spec.switches.push({ name: `sw${r}`, parent: rp, upstream: { bdf: `${hex2(upBus)}:00.0` }, ports });
    for (const port of ports) {
      const epBus = bus++;
      const functions = Array.from({ length: 8 }, (_, f) => {
        const base = addr;
        addr += 0x1000;
        return { bdf: `${hex2(epBus)}:00.${f}`, bars: [{ base: `0x${base.toString(16)}`, size: 0x1000 }] };
      });
      spec.endpoints.push({ name: `${port.name}-ep`, parent: port.name, functions });
    }
  }
  return { name: `big-${rootPorts}`, description: `${rootPorts} root ports, each a switch of 4 ports with an 8-function endpoint each`, ...spec };
}
