/**
 * Importing a variant file: through tsx, which strips types without checking them, in strict
 * mode, under a deadline, and with process.exit forbidden while its top level runs.
 *
 * Strict mode: tsx compiles a .ts (or ESM-syntax .js) file outside a `"type": "module"` package to
 * CommonJS, without "use strict", so a write to the frozen state passed to an override was
 * silently dropped. A load hook of our own, registered after tsx's (so it sees tsx's output),
 * prepends the directive to the CommonJS source of the variant file itself (the URL carries a
 * marker; the modules it imports are left alone). .mts and .mjs files are ES modules, strict
 * already. A plain CommonJS .js file (no import/export) is loaded by Node itself and stays sloppy.
 */
import { register as registerHook } from 'node:module';
import { pathToFileURL } from 'node:url';
import { register as registerCjs } from 'tsx/cjs/api';
import { register } from 'tsx/esm/api';
import { forbidProcessExit, ProcessExitCalled } from './variantGuard.ts';
import { loadWatched } from './watchdog.ts';

const MARK = 'iommu-mc-variant';
const NAMESPACE = 'iommu-mc-variants';

const STRICT_HOOK = `
export async function load(url, context, nextLoad) {
  const r = await nextLoad(url, context);
  if (r.format !== 'commonjs' || r.source == null || !/[?&]${MARK}=/.test(url)) return r;
  const source = typeof r.source === 'string' ? r.source : new TextDecoder().decode(r.source);
  return { ...r, source: '"use strict";' + source };
}`;

let tsx: { import: (specifier: string, parent: string) => Promise<unknown> } | null = null;
let loads = 0;

/** Removes the loader's decorations (the marker and tsx's namespace) from an error message. */
export const withoutLoaderQuery = (msg: string): string => msg.replace(new RegExp(`[?&](?:${MARK}|namespace)=[\\w-]+`, 'g'), '');

/**
 * The module namespace of the variant file at absolute path `abs`. Rejects with the loader's
 * error, a ProcessExitCalled when its top level called process.exit (even if it caught the
 * exception), or a WatchdogFired when loading took more than `seconds`.
 */
export async function importVariant(abs: string, seconds: number): Promise<Record<string, unknown>> {
  if (!tsx) {
    // A namespace of our own, for require() and import() as tsImport registers it, then the hook:
    // hooks registered later run first.
    registerCjs({ namespace: NAMESPACE });
    tsx = register({ namespace: NAMESPACE });
    registerHook(`data:text/javascript,${encodeURIComponent(STRICT_HOOK)}`);
  }
  // A fresh URL per load: a file loaded twice (diff, tests) is evaluated again, as with tsImport.
  const url = `${pathToFileURL(abs).href}?${MARK}=${++loads}`;
  const restore = forbidProcessExit();
  try {
    const mod = await loadWatched(() => tsx!.import(url, import.meta.url), seconds);
    const exitCall = restore();
    if (exitCall) throw exitCall;
    return mod as Record<string, unknown>;
  } finally {
    restore();
  }
}
