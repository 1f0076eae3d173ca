/**
 * `switchyard up --detach` / `status` / `down` as a user runs them: the real
 * CLI binary, the real daemon with its controller and a real router process,
 * in a temporary state directory. Afterwards no process of theirs is left.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, stopPids } from '../support/processes.ts';
import { daemonInfo, run as runIn } from './cli-harness.ts';

describe('switchyard up --detach / down', () => {
  let dir: string;
  let stateDir: string;
  const started = new Set<number>();

  const run = (args: string[]) => runIn(dir, args);
  const pids = () => {
    const { pid, url, routerPid } = daemonInfo(stateDir);
    return { daemon: { pid, url }, router: routerPid };
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-daemon-'));
    stateDir = join(dir, '.switchyard');
  });
  afterAll(async () => {
    // Only if an assertion failed midway: stop exactly what this test started.
    await stopPids([...started].filter(alive));
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts in the background, serves an empty status, refuses a second up, and stops with its router', async () => {
    const up = await run(['up', '--detach', '--state', stateDir]);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    const { daemon, router } = pids();
    started.add(daemon.pid).add(router);
    expect(up.stdout).toContain(`Switchyard is running at ${daemon.url} (pid ${daemon.pid})`);
    expect(daemon.url).toMatch(/^http:\/\/127\.0\.0\.1:[0-9]+$/);
    expect(alive(daemon.pid)).toBe(true);
    expect(alive(router)).toBe(true);
    expect(statSync(join(stateDir, 'token')).mode & 0o777).toBe(0o600);

    // The CLI finds the daemon through .switchyard/ in its folder; no spec there: every service.
    const status = await run(['status', '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual({ services: [] });

    // The API wants the token; healthz does not.
    const denied = await request(`${daemon.url}/v1/services`);
    expect(denied.statusCode).toBe(401);
    await denied.body.dump();
    const health = await request(`${daemon.url}/v1/healthz`);
    expect(await health.body.json()).toMatchObject({ ok: true, pid: daemon.pid });

    const again = await run(['up', '--detach', '--state', stateDir]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('already running');

    const down = await run(['down']);
    expect(down.code).toBe(0);
    expect(down.stdout).toContain(`Stopped the Switchyard daemon (pid ${daemon.pid})`);
    expect(down.stdout).toContain(`Stopped the router (pid ${router})`);
    expect(alive(daemon.pid)).toBe(false);
    expect(alive(router)).toBe(false);

    const after = await run(['status']);
    expect(after.code).toBe(2);
    expect(after.stderr).toBe('Switchyard is not running here. Start it with `switchyard up`.\n');
  });

  it('keeps the router running with down --keep-router, and the next up uses it', async () => {
    expect((await run(['up', '--detach', '--state', stateDir])).code).toBe(0);
    const first = pids();
    started.add(first.daemon.pid).add(first.router);

    const down = await run(['down', '--keep-router']);
    expect(down.code).toBe(0);
    expect(alive(first.daemon.pid)).toBe(false);
    expect(alive(first.router)).toBe(true);

    expect((await run(['up', '--detach', '--state', stateDir])).code).toBe(0);
    const second = pids();
    started.add(second.daemon.pid);
    expect(second.router).toBe(first.router);

    expect((await run(['down'])).code).toBe(0);
    expect(alive(second.daemon.pid)).toBe(false);
    expect(alive(first.router)).toBe(false);
  });
});
