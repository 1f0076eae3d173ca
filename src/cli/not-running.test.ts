/** The message every client verb gives when no daemon answers: run the real CLI as a user would. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/switchyard.js', import.meta.url));
const MESSAGE = 'Switchyard is not running here. Start it with `switchyard up`.\n';

function run(cwd: string, args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('SWITCHYARD_')),
  );
  return spawnSync(process.execPath, [bin, ...args], {
    cwd,
    env: { ...clean, ...env },
    encoding: 'utf8',
  });
}

/** A loopback port nobody listens on: bind one, note it, close it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('no daemon', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-nodaemon-'));
    writeFileSync(
      join(dir, 'switchyard.yaml'),
      'service: shop\nruntime: { type: process, command: "node s.js" }\nrouter: { listen: 8080 }\n',
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['status'],
    ['status', '--json'],
    ['promote'],
    ['history'],
    ['lock', 'status'],
    ['deploy', '--version', '1'],
  ])('`switchyard %s` says how to start it and exits 2, without a stack trace', (...args) => {
    const result = run(dir, args);
    expect(result.stderr).toBe(MESSAGE);
    expect(result.stdout).toBe('');
    expect(result.status).toBe(2);
  });

  it('says the same when .switchyard/ exists but its daemon is gone', () => {
    mkdirSync(join(dir, '.switchyard'));
    writeFileSync(
      join(dir, '.switchyard', 'api.json'),
      JSON.stringify({ url: 'http://127.0.0.1:1', pid: 999999, startedAt: '' }),
    );
    const result = run(dir, ['status']);
    expect(result.stderr).toBe(MESSAGE);
    expect(result.status).toBe(2);
  });

  it('says the same when SWITCHYARD_URL names an address where nothing answers', async () => {
    const port = await closedPort();
    const result = run(dir, ['status'], {
      SWITCHYARD_URL: `http://127.0.0.1:${port}`,
      SWITCHYARD_TOKEN: 'x',
    });
    expect(result.stderr).toBe(MESSAGE);
    expect(result.status).toBe(2);
  });

  it('lets `down` say there is nothing to stop, with exit 0', () => {
    const result = run(dir, ['down']);
    expect(result.stdout).toContain('nothing to stop');
    expect(result.status).toBe(0);
  });
});
