/**
 * `switchyard up --detach` / `status` / `down` as a user runs them: the real
 * CLI binary, the real daemon with its controller and a real router process,
 * in a temporary state directory. Afterwards no process of theirs is left.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../src/runtime/process/free-port.ts';
import { httpAppCommand } from '../support/apps.ts';
import { alive, stopPids } from '../support/processes.ts';
import { daemonInfo, run as runIn, stopEverything, until } from './cli-harness.ts';

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

  it('starts the router again when it dies under the daemon, serving the same config at once', async () => {
    const service = `watch${process.pid}x${Date.now().toString(36)}`;
    const listen = await findFreePort('127.0.0.1');
    writeFileSync(
      join(dir, 'switchyard.yaml'),
      [
        `service: ${service}`,
        `runtime: { type: process, command: ${JSON.stringify(httpAppCommand)} }`,
        'replicas: 1',
        'healthCheck: { path: /healthz, interval: 200ms, timeout: 150ms, healthyThreshold: 1, startupTimeout: 5s }',
        `router: { listen: ${listen}, drainTimeout: 1s }`,
        'strategy: { blueGreen: { autoPromote: 0s, scaleDownDelay: 0s } }',
        '',
      ].join('\n'),
    );
    const served = async () => {
      try {
        const answer = await request(`http://127.0.0.1:${listen}/`);
        return answer.statusCode === 200
          ? ((await answer.body.json()) as { version: string }).version
          : (await answer.body.dump(), undefined);
      } catch {
        return undefined;
      }
    };
    let first = { daemon: { pid: 0, url: '' }, router: 0 };
    try {
      expect((await run(['up', '--detach', '--state', stateDir])).code).toBe(0);
      first = pids();
      started.add(first.daemon.pid).add(first.router);
      const deploy = await run(['deploy', '--version', 'v1', '--wait']);
      expect(deploy.code, deploy.stderr).toBe(0);
      expect(await served()).toBe('v1');

      const killedAt = performance.now();
      process.kill(first.router, 'SIGKILL');
      // router.json is rewritten by the new router; read it until it names a live one that serves.
      const again = await until('a new router serving v1', async () => {
        const now = (() => {
          try {
            return pids().router;
          } catch {
            return undefined;
          }
        })();
        return now !== undefined && now !== first.router && alive(now) && (await served()) === 'v1'
          ? now
          : undefined;
      });
      console.log(
        `router watchdog: SIGKILLed router ${first.router}; router ${again} served v1 again after ${Math.round(performance.now() - killedAt)} ms`,
      );
      started.add(again);
      expect(again).not.toBe(first.router);
      expect(alive(again)).toBe(true);
      expect(await served()).toBe('v1');
      // The controller steers the new router through the same admin socket.
      const status = await run(['status', '--json']);
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout).pools).toMatchObject([{ version: 'v1', weight: 100 }]);
      const down = await run(['down']);
      expect(down.stdout).toContain(`Stopped the router (pid ${again})`);
      expect(alive(again)).toBe(false);
    } finally {
      await stopEverything(() => run(['down']), [...started].filter(alive), [
        `SWITCHYARD_SERVICE=${service}`,
      ]);
    }
  });
});
