#!/usr/bin/env node
// `npm run bench`: runs bench/run.ts through tsx's loader (no build step), in one process.
import { register } from 'tsx/esm/api';
register();
await import('../bench/run.ts');
