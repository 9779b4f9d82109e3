/**
 * The iommu-mc command line: wires commander to the commands in ./commands.
 * This folder is the only place that touches the file system, the console and exit codes.
 */
import { Command, CommanderError } from 'commander';
import pc from 'picocolors';
import { EXIT, UsageError } from './errors.ts';
import { commands } from './commands/index.ts';

/** Builds the program; each command's action returns its exit code. */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('iommu-mc')
    .description('Model checker for Linux IOMMU-group DMA ownership and the PCIe/IOMMU paths it relies on')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  // addCommand does not pass exitOverride on (only .command() does): each subcommand gets its own,
  // so an unknown option of a subcommand is bad usage (exit 2), not commander's process.exit(1).
  for (const make of commands) program.addCommand(make(setExit).showHelpAfterError('(run with --help for usage)').exitOverride());
  return program;
}

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
      return EXIT.USAGE;
    }
    throw e;
  }
  return code;
}
