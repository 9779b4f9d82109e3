/**
 * The package as a user gets it: `npm pack` (whose prepare script builds dist/) in a copy of this
 * repository (the working tree gets no dist/, and two runs cannot race on it), the tarball
 * unpacked into a fresh project's node_modules as npm would install it, the package's declared
 * dependencies linked from this repository's node_modules (no network, no npm cache), then plain
 * node, the packed CLI, tsc and vitest in that project.
 *
 * Two projects: `plain` holds the package and its dependencies only (the main entry must load
 * without vitest, an optional peer of `iommu-mc/vitest` alone); `typed` adds vitest and typescript.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PACKAGE_JSON, PLAIN_SCRIPT, TSCONFIG, VITEST_FILE } from './consumerProject.ts';

const ROOT = join(import.meta.dirname, '../..');
/** A safety net only: the whole file takes well under a minute on a quiet machine. */
const TIMEOUT = 240_000;

/** This process's environment without what marks it as a vitest worker or an npm script. */
const cleanEnv = (): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(?:VITEST.*|__VITEST.*|TEST|NODE_ENV|MODE|DEV|PROD|SSR|BASE_URL|npm_.*)$/.test(k))),
  NO_COLOR: '1',
});

/** Runs a command; a failure shows its output. */
function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, env: cleanEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 2 ** 20 });
  } catch (e) {
    const x = e as { status: number | null; stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited with ${x.status}\n${x.stdout ?? ''}\n${x.stderr ?? ''}`);
  }
}

let work = '';
let tarball = '';
let packedFiles: string[] = [];

/** A project holding the unpacked package, its dependencies and `tools`, linked from this repository. */
function project(name: string, tools: string[]): string {
  const dir = join(work, name);
  const pkg = join(dir, 'node_modules/iommu-mc');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(dir, 'package.json'), PACKAGE_JSON);
  run('tar', ['-xzf', tarball, '-C', pkg, '--strip-components=1'], dir);
  const deps = Object.keys((JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { dependencies?: object }).dependencies ?? {});
  for (const dep of [...deps, ...tools]) {
    const at = join(dir, 'node_modules', dep);
    mkdirSync(dirname(at), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', dep), at, 'dir');
  }
  return dir;
}

/** A report without its wall-clock figures, which differ from run to run. */
const withoutSeconds = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (k, v) => (k === 'seconds' ? undefined : v)));

/** A copy of this repository without its installed, built or generated files, sharing its node_modules. */
function copyOfRepository(): string {
  const dir = join(work, 'repository');
  const skip = new Set(['node_modules', '.git', 'dist', 'coverage', 'out', '.prof', 'test-output']);
  cpSync(ROOT, dir, { recursive: true, filter: (src) => !skip.has(relative(ROOT, src).split(sep)[0]!) });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'iommu-mc-packed-'));
  const out = run('npm', ['pack', '--json', '--pack-destination', work], copyOfRepository());
  const [info] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, info!.filename);
  packedFiles = info!.files.map((f) => f.path);
}, TIMEOUT);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed package installed in a fresh project', () => {
  test('the tarball ships dist, the CLI and its sources, the docs and the README; no tests, CI scripts or benchmarks', () => {
    const tops = new Set(packedFiles.map((f) => f.split('/')[0]));
    expect([...tops].sort()).toEqual(['README.md', 'bin', 'dist', 'docs', 'package.json', 'src']);
    expect(packedFiles).toEqual(expect.arrayContaining([
      'bin/iommu-mc.mjs',
      'dist/api/index.js', 'dist/api/index.d.ts',
      'dist/api/vitest.js', 'dist/api/vitest.d.ts',
      'dist/variantApi.js', 'dist/variantApi.d.ts',
      'dist/scenarios/manifest.json',
      'docs/library.md',
    ]));
    expect(packedFiles.filter((f) => f.startsWith('bin/'))).toEqual(['bin/iommu-mc.mjs']);
  });

  test('plain node imports iommu-mc without vitest installed and checkScenario returns the check report', () => {
    const dir = project('plain', []);
    writeFileSync(join(dir, 'check.mjs'), PLAIN_SCRIPT);
    const out = JSON.parse(run(process.execPath, ['check.mjs'], dir)) as {
      report: { ok: boolean; results: { variant: string; status: string }[] };
      trace: string;
      error: string;
      vitest: string;
      defineVariant: string;
      kernelFunctions: number;
    };
    expect(out.vitest).toBe('absent');
    expect(out.report.ok).toBe(true);
    expect(out.report.results.map((r) => [r.variant, r.status])).toEqual([['current', 'holds'], ['w1-vfio-viability', 'violated']]);
    expect(out.trace).toMatch(/^I1 OwnershipExclusivity: broken after/);
    expect(out.error).toMatch(/^no-such-scenario: expected a built-in scenario \(/);
    expect(out.defineVariant).toBe('function');
    expect(out.kernelFunctions).toBeGreaterThan(20);

    // The installed CLI prints the same object.
    const cliJson = run(process.execPath, ['node_modules/iommu-mc/bin/iommu-mc.mjs', 'check', '--scenario', 'vfio-vs-dma-api', '--variant', 'current', '--variant', 'w1-vfio-viability', '--json'], dir);
    expect(withoutSeconds(out.report)).toEqual(withoutSeconds(JSON.parse(cliJson)));
  }, TIMEOUT);

  test('tsc (strict, module nodenext) accepts a vitest file using the matchers, and vitest passes it', () => {
    const dir = project('typed', ['vitest', 'typescript']);
    writeFileSync(join(dir, 'tsconfig.json'), TSCONFIG);
    writeFileSync(join(dir, 'scenarios.test.ts'), VITEST_FILE);
    cpSync(join(import.meta.dirname, 'fixtures/scenarios'), join(dir, 'scenarios'), { recursive: true });
    run(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.'], dir);
    const out = run(process.execPath, ['node_modules/vitest/vitest.mjs', 'run'], dir);
    expect(out).toMatch(/Tests\s+4 passed \(4\)/);
  }, TIMEOUT);
});
