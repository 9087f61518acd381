#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm ci` (prepare script). `coknight actor` has an
// entry of its own that loads only the actor (light processes: no learner, no tfjs at y = 0).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL(process.argv[2] === 'actor' ? '../dist/cli/actor-main.js' : '../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('coknight: dist/ is missing. Run `npm ci` (or `npm run build`) in the repository first.');
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv);
