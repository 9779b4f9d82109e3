/**
 * The iommu-mc command line: wires commander to the commands in ./commands.
 * This folder is the only place that touches the file system, the console and exit codes.
 */
import { Command, CommanderError } from 'commander';
import pc from 'picocolors';
import { EXIT, UsageError } from './errors.ts';
import { commands } from './commands/index.ts';
import { versionText } from './version.ts';


/** Builds the program; each command's action returns its exit code. */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('iommu-mc')
    .description('Model checker for Linux IOMMU-group DMA ownership and the PCIe/IOMMU paths it relies on')
    .version(versionText(), '-V, --version', 'print the version and the kernel the model is pinned to')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  // addCommand does not pass exitOverride on (only .command() does): each subcommand gets its own,
  // so an unknown option of a subcommand is bad usage (exit 2), not commander's process.exit(1).
  for (const make of commands) program.addCommand(make(setExit).showHelpAfterError('(run with --help for usage)').exitOverride());
  return program;
}

/** The command line asks for JSON output (`--json`, `--format json`, `--format=json`). */
const wantsJson = (argv: readonly string[]): boolean =>
  argv.includes('--json') || argv.includes('--format=json') || argv.some((a, i) => a === '--format' && argv[i + 1] === 'json');

/** Entry point used by bin/iommu-mc.mjs. */
export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.OK;
  const program = buildProgram((c) => {
    code = c;
  });
  const output = { writeErr: (s: string) => process.stderr.write(s), outputError: (s: string, write: (s: string) => void) => write(pc.red(s)) };
  program.configureOutput(output);
  for (const c of program.commands) c.configureOutput(output);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; every other commander error is bad usage.
      return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`iommu-mc: ${e.message}\n`);
      // A CI job that reads --json gets an object on stdout for bad input too.
      if (wantsJson(argv)) process.stdout.write(`${JSON.stringify({ ok: false, exitCode: EXIT.USAGE, error: e.message }, null, 2)}\n`);
      return EXIT.USAGE;
    }
    // Anything else is a bug in iommu-mc, never a verdict: its own exit code, and the stack for the report.
    const err = e instanceof Error ? e : new Error(String(e));
    process.stderr.write(`iommu-mc: internal error (a bug in iommu-mc, not a verdict; please report it with the command line): ${err.message}\n`);
    if (err.stack) process.stderr.write(`${err.stack.split('\n').slice(1).join('\n')}\n`);
    return EXIT.INTERNAL;
  }
  return code;
}
