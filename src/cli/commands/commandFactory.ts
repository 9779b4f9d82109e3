/** What each command file exports: a factory that builds its commander Command; `setExit` takes the exit code. */
import type { Command } from 'commander';

export type CommandFactory = (setExit: (code: number) => void) => Command;
