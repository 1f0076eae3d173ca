#!/usr/bin/env node
// Entry point. Switchyard runs on Node 24 (pinned as a devDependency, so every
// npm script and `npx switchyard` use it). From a source checkout it runs the
// TypeScript directly (Node 24 strips types); an installed package runs dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `Switchyard needs Node 24 (this is Node ${process.versions.node}). ` +
      'Run it through npm so the pinned Node is used: `npx switchyard ...` or `npm run demo`.\n',
  );
  process.exit(2);
}

const source = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const built = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const entry = existsSync(source) && !source.includes('/node_modules/') ? source : built;
const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));
