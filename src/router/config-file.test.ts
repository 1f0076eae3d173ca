import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RouterConfig } from './config.ts';
import { loadRouterState, routerPaths, saveRouterState, writeFileAtomic } from './config-file.ts';
import { ConfigSaver } from './config-saver.ts';

const config: RouterConfig = {
  generation: 7,
  services: [
    {
      name: 'shop/live',
      listen: { port: 8080 },
      pools: [
        { name: 'stable', weight: 1, instances: [{ id: 'a', host: '127.0.0.1', port: 4001 }] },
      ],
      balance: 'least-requests',
      sticky: false,
      overrideHeader: 'x-switchyard-pool',
      healthCheck: {
        path: '/',
        intervalMs: 1000,
        timeoutMs: 500,
        healthyThreshold: 1,
        unhealthyThreshold: 3,
      },
      drainTimeoutMs: 5000,
    },
  ],
};

class CollectingLog {
  readonly errors: Array<{ details: object; message: string }> = [];
  error(details: object, message: string): void {
    this.errors.push({ details, message });
  }
}

let stateDir: string;
beforeEach(async () => {
  stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'switchyard-config-file-'));
});
afterEach(async () => {
  await fs.rm(stateDir, { recursive: true, force: true });
});

describe('router config file', () => {
  it('round-trips the config and the healthy set, leaving no temp files', async () => {
    await saveRouterState(stateDir, { config, healthy: { 'shop/live': ['a'] } });
    const log = new CollectingLog();
    expect(await loadRouterState({ stateDir, logger: log })).toEqual({
      config,
      healthy: { 'shop/live': ['a'] },
    });
    expect(await fs.readdir(routerPaths(stateDir).dir)).toEqual(['config.json']);
    expect(log.errors).toEqual([]);
  });

  it('returns null without complaint when nothing was saved yet', async () => {
    const log = new CollectingLog();
    expect(await loadRouterState({ stateDir, logger: log })).toBeNull();
    expect(log.errors).toEqual([]);
  });

  it('logs and ignores a file that is not JSON', async () => {
    await fs.mkdir(routerPaths(stateDir).dir, { recursive: true });
    await fs.writeFile(routerPaths(stateDir).config, '{"config": {"generation": 3, "serv');
    const log = new CollectingLog();
    expect(await loadRouterState({ stateDir, logger: log })).toBeNull();
    expect(log.errors).toHaveLength(1);
    expect(log.errors[0]?.message).toContain(routerPaths(stateDir).config);
  });

  it('logs and ignores a file whose config is invalid, naming the problems', async () => {
    await fs.mkdir(routerPaths(stateDir).dir, { recursive: true });
    const bad = { ...config, services: [{ ...config.services[0], listen: { port: 0 } }] };
    await fs.writeFile(
      routerPaths(stateDir).config,
      JSON.stringify({ format: 1, config: bad, healthy: {} }),
    );
    const log = new CollectingLog();
    expect(await loadRouterState({ stateDir, logger: log })).toBeNull();
    expect(log.errors[0]?.details).toMatchObject({
      problems: ['services[0].listen.port: must be a port from 1 to 65535'],
    });
  });

  it('keeps the config but trusts no one when the healthy set is damaged', async () => {
    await fs.mkdir(routerPaths(stateDir).dir, { recursive: true });
    await fs.writeFile(
      routerPaths(stateDir).config,
      JSON.stringify({ format: 1, config, healthy: 'yes' }),
    );
    expect(await loadRouterState({ stateDir, logger: new CollectingLog() })).toEqual({
      config,
      healthy: {},
    });
  });

  it('writes atomically with the requested mode, replacing the old content', async () => {
    const file = path.join(stateDir, 'secret');
    await writeFileAtomic(file, 'one', { mode: 0o600 });
    await writeFileAtomic(file, 'two', { mode: 0o600 });
    expect(await fs.readFile(file, 'utf8')).toBe('two');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(await fs.readdir(stateDir)).toEqual(['secret']);
  });
});

describe('ConfigSaver', () => {
  it('collapses saves requested during a write into one write of the newest state', async () => {
    let generation = 1;
    let reads = 0;
    const saver = new ConfigSaver({
      stateDir,
      current: () => {
        reads++;
        return { config: { ...config, generation }, healthy: {} };
      },
    });
    const first = saver.save();
    generation = 2;
    const second = saver.save();
    generation = 3;
    const third = saver.save();
    await Promise.all([first, second, third]);
    expect(reads).toBe(2); // the first write, then one for both later requests
    const loaded = await loadRouterState({ stateDir, logger: new CollectingLog() });
    expect(loaded?.config.generation).toBe(3);
  });
});
