/** The ordered list of CLI commands; each factory returns a commander Command. */
import type { Command } from 'commander';

export type CommandFactory = (setExit: (code: number) => void) => Command;

export const commands: CommandFactory[] = [];
import { topologyCommand } from './topology.ts'; commands.push(topologyCommand);
