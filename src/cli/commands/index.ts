/** The ordered list of CLI commands; each factory returns a commander Command. */
import { checkCommand } from './check.ts';
import { diffCommand } from './diff.ts';
import { docsCommand } from './docs.ts';
import { listCommand } from './list.ts';
import { mergeCommand } from './merge.ts';
import { simulateCommand } from './simulate.ts';
import { topologyCommand } from './topology.ts';
import type { CommandFactory } from './commandFactory.ts';

export type { CommandFactory } from './commandFactory.ts';

export const commands: CommandFactory[] = [checkCommand, listCommand, topologyCommand, diffCommand, docsCommand, mergeCommand, simulateCommand];
