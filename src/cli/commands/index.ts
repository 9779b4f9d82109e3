/** The ordered list of CLI commands; each factory returns a commander Command. */
import type { Command } from 'commander';
import { checkCommand } from './check.ts';
import { diffCommand } from './diff.ts';
import { docsCommand } from './docs.ts';
import { listCommand } from './list.ts';
import { mergeCommand } from './merge.ts';
import { simulateCommand } from './simulate.ts';
import { topologyCommand } from './topology.ts';

export type CommandFactory = (setExit: (code: number) => void) => Command;

export const commands: CommandFactory[] = [checkCommand, listCommand, topologyCommand, diffCommand, docsCommand, mergeCommand, simulateCommand];
