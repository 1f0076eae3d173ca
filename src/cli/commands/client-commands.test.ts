/**
 * The client verbs end to end through the real CLI parser, API client and
 * control API, over a ControlPlane double: what they send, print and exit with.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RolloutView } from '../../controller/control-plane.ts';
import { SwitchyardError } from '../../errors.ts';
import { fakeRollout, fakeStatus } from '../../server/testing/fake-control-plane.ts';
import type { StoredEvent } from '../../state/store.ts';
import { main } from '../main.ts';
import { statusCommand } from './status.ts';
import { startFakeDaemon, type FakeDaemon } from '../testing/fake-daemon.ts';

const SHOP = { service: 'shop', environment: 'default' };

function rolloutEvent(id: number, reason: string): StoredEvent {
  return {
    id,
    at: '2026-01-01T12:00:0' + id + '.000Z',
    ...SHOP,
    rolloutId: 7,
    type: 'rollout.status',
    reason,
    message: `${reason} now`,
  };
}

describe('client verbs', () => {
  let daemon: FakeDaemon;
  beforeEach(async () => {
    daemon = await startFakeDaemon();
  });
  afterEach(async () => {
    await daemon.dispose();
  });

  it('status --json prints the service status of the spec here', async () => {
    const io = daemon.io();
    expect(await main(['status', '--json'], io)).toBe(0);
    expect(JSON.parse(io.out())).toEqual(JSON.parse(JSON.stringify(fakeStatus(SHOP))));
    expect(daemon.control.calls).toEqual([{ method: 'status', args: [SHOP] }]);
  });

  it('status --env names the environment; an unknown one is exit 2 before any request', async () => {
    expect(await main(['status', '--env', 'beta', '--json'], daemon.io())).toBe(0);
    expect(daemon.control.calls[0]?.args[0]).toEqual({ service: 'shop', environment: 'beta' });
    const io = daemon.io();
    expect(await main(['status', '--env', 'live'], io)).toBe(2);
    expect(io.err()).toContain('no environment "live"');
    expect(daemon.control.calls).toHaveLength(1);
  });

  it('maps a 409 from the daemon to exit 3 with its message', async () => {
    daemon.control.errors.promote = new SwitchyardError(
      'LOCK_HELD',
      'The lock is held by alice since noon.',
    );
    const io = daemon.io();
    expect(await main(['promote'], io)).toBe(3);
    expect(io.err()).toBe('error: The lock is held by alice since noon.\n');
  });

  it('maps an unknown service (404) to exit 2', async () => {
    daemon.control.errors.status = new SwitchyardError(
      'STATE_NOT_FOUND',
      'shop/default has never been deployed.',
    );
    const io = daemon.io();
    expect(await main(['status'], io)).toBe(2);
    expect(io.err()).toContain('never been deployed');
  });

  it('traffic --weights sends one weight per pool in status order', async () => {
    expect(await main(['traffic', '--weights', '70:30'], daemon.io())).toBe(0);
    expect(daemon.control.calls.map((c) => c.method)).toEqual(['status', 'traffic']);
    expect(daemon.control.calls[1]?.args[1]).toEqual([
      { pool: 'blue', weight: 70 },
      { pool: 'green', weight: 30 },
    ]);
  });

  it('traffic with a wrong count changes nothing and exits 2', async () => {
    const io = daemon.io();
    expect(await main(['traffic', '--weights', '100'], io)).toBe(2);
    expect(io.err()).toContain('2 pools');
    expect(daemon.control.calls.map((c) => c.method)).toEqual(['status']);
  });

  it('scale, rollback --to and lock release --force send what they were given', async () => {
    expect(await main(['scale', '4'], daemon.io())).toBe(0);
    expect(await main(['rollback', '--to', '3'], daemon.io())).toBe(0);
    expect(await main(['lock', 'release', '--force'], daemon.io())).toBe(0);
    expect(daemon.control.calls.map((c) => [c.method, c.args[1]])).toEqual([
      ['scale', 4],
      ['rollback', { toRevision: 3, requestedBy: 'tester@here' }],
      ['lockRelease', { force: true, requestedBy: 'tester@here' }],
    ]);
    expect(await main(['scale', '0'], daemon.io())).toBe(2);
  });

  it('status lists every service where there is no spec', async () => {
    daemon.control.serviceList = [{ ...SHOP, version: '1.0.0', rolloutStatus: 'succeeded' }];
    const io = daemon.io();
    expect(
      await main(['status', '--json', '--state', 'nowhere'], { ...io, cwd: '/', env: io.env }),
    ).toBe(2);
    const here = daemon.io();
    expect(await main(['status', '--json'], { ...here, cwd: '/' })).toBe(0);
    expect(JSON.parse(here.out())).toEqual({ services: daemon.control.serviceList });
  });

  it('logs prints instance | line, and -f streams JSON lines from the daemon', async () => {
    daemon.control.logLines = [
      { instanceId: 'blue-1', line: 'listening' },
      { instanceId: 'blue-2', line: 'GET /' },
    ];
    const listed = daemon.io();
    expect(await main(['logs', '--tail', '5'], listed)).toBe(0);
    expect(listed.out()).toBe('blue-1 | listening\nblue-2 | GET /\n');
    const followed = daemon.io();
    expect(await main(['logs', '-f', '--instance', 'blue-2', '--json'], followed)).toBe(0);
    expect(followed.out()).toBe('{"instanceId":"blue-2","line":"GET /"}\n');
    expect(daemon.control.calls[1]?.args[1]).toMatchObject({ instanceId: 'blue-2', follow: true });
  });

  it('status --watch prints again on events until stopped', async () => {
    daemon.control.holdEvents = true;
    const stop = new AbortController();
    const io = daemon.io();
    const watching = statusCommand({ watch: true, json: true, signal: stop.signal }, io);
    await vi.waitFor(() => expect(io.out()).toContain('"service":"shop"'));
    stop.abort();
    expect(await watching).toBe(0);
    expect(daemon.control.calls.map((c) => c.method)).toContain('events');
  });

  describe('cleanup', () => {
    const plan = { pools: [{ name: 'blue', revision: 1, instances: ['blue-1', 'blue-2'] }] };

    it('refuses without a terminal and without --yes: exit 2, nothing removed', async () => {
      daemon.control.cleanupPlan = plan;
      const io = daemon.io({ stdinIsTTY: false });
      expect(await main(['cleanup'], io)).toBe(2);
      expect(io.out()).toContain('pool blue (revision 1): 2 instances');
      expect(io.err()).toContain('cleanup --yes');
      expect(daemon.control.calls).toEqual([{ method: 'cleanup', args: [SHOP, { apply: false }] }]);
    });

    it('removes with --yes', async () => {
      daemon.control.cleanupPlan = plan;
      const io = daemon.io({ stdinIsTTY: false });
      expect(await main(['cleanup', '--yes'], io)).toBe(0);
      expect(daemon.control.calls.map((c) => c.args[1])).toEqual([
        { apply: false },
        { apply: true },
      ]);
      expect(io.out()).toContain('Removed 1 pool.');
    });

    it('asks on a terminal and does nothing unless the answer is yes', async () => {
      daemon.control.cleanupPlan = plan;
      const io = daemon.io({ stdinIsTTY: true, stdin: ['n\n'] });
      expect(await main(['cleanup'], io)).toBe(0);
      expect(io.out()).toContain('Nothing removed.');
      expect(daemon.control.calls).toHaveLength(1);
      const yes = daemon.io({ stdinIsTTY: true, stdin: ['y\n'] });
      expect(await main(['cleanup'], yes)).toBe(0);
      expect(daemon.control.calls.at(-1)?.args[1]).toEqual({ apply: true });
    });
  });

  describe('deploy', () => {
    it('sends the resolved spec with --version and who asked', async () => {
      const io = daemon.io();
      expect(await main(['deploy', '--version', '2.0.0', '--env', 'beta'], io)).toBe(0);
      const request = daemon.control.calls[0]?.args[0] as Record<string, unknown>;
      expect(request).toMatchObject({
        service: 'shop',
        environment: 'beta',
        version: '2.0.0',
        requestedBy: 'tester@here',
      });
      expect(request['spec']).toMatchObject({ service: 'shop', environment: 'beta', replicas: 2 });
    });

    it('--image replaces the image of a container spec, and its tag is the version', async () => {
      await writeFile(
        join(daemon.cwd, 'switchyard.yaml'),
        'service: shop\nruntime: { type: container, image: "localhost/shop:1.0.0" }\nrouter: { listen: 8080 }\n',
      );
      expect(await main(['deploy', '--image', 'localhost/shop:2.0.0'], daemon.io())).toBe(0);
      expect(await main(['deploy'], daemon.io())).toBe(0);
      const sent = daemon.control.calls.map((c) => c.args[0] as Record<string, unknown>);
      expect(sent.map((r) => [r['version'], (r['spec'] as { runtime: object }).runtime])).toEqual([
        ['2.0.0', expect.objectContaining({ type: 'container', image: 'localhost/shop:2.0.0' })],
        ['1.0.0', expect.objectContaining({ type: 'container', image: 'localhost/shop:1.0.0' })],
      ]);
      const latest = daemon.io();
      expect(await main(['deploy', '--image', 'localhost/shop:latest'], latest)).toBe(2);
      expect(latest.err()).toContain('has no version tag');
      expect(daemon.control.calls).toHaveLength(2);
    });

    it('refuses --image on a process runtime, and a missing version, with exit 2', async () => {
      const image = daemon.io();
      expect(await main(['deploy', '--image', 'shop:2.0.0'], image)).toBe(2);
      expect(image.err()).toContain('--image needs a runtime that runs images');
      const none = daemon.io();
      expect(await main(['deploy'], none)).toBe(2);
      expect(none.err()).toContain('--version');
      expect(daemon.control.calls).toEqual([]);
    });

    const followWith = (final: RolloutView['status']) => {
      daemon.control.rolloutFor = (key) =>
        fakeRollout(key, { id: 7, version: '2.0.0', revision: 2 });
      let reads = 0;
      daemon.control.statusFor = (key) => {
        reads += 1;
        const status = reads >= 2 ? final : 'progressing';
        return fakeStatus(key, {
          rollout: fakeRollout(key, { id: 7, status, version: '2.0.0', revision: 2 }),
        });
      };
      daemon.control.eventList = [
        rolloutEvent(1, 'RolloutProgressing'),
        rolloutEvent(2, 'RolloutFinished'),
      ];
      daemon.control.holdEvents = true;
    };

    it('--wait prints one plain line per event off a terminal and exits 0 on success', async () => {
      followWith('succeeded');
      const io = daemon.io({ stdoutIsTTY: false });
      expect(await main(['deploy', '--version', '2.0.0', '--wait'], io)).toBe(0);
      expect(io.out()).toContain(
        '12:00:01 shop/default RolloutProgressing: RolloutProgressing now\n',
      );
      expect(io.out()).toContain('Rollout 7 succeeded: shop/default runs 2.0.0 (revision 2).');
      expect(io.out()).not.toContain('\x1b[');
    });

    it('--wait exits 1 when the rollout is aborted', async () => {
      followWith('aborted');
      const io = daemon.io();
      expect(await main(['deploy', '--version', '2.0.0', '--wait'], io)).toBe(1);
      expect(io.out()).toContain('Rollout 7 ended aborted');
    });

    it('--wait stops following on Ctrl-C, says the rollout goes on, exits 130 and steers nothing', async () => {
      followWith('progressing');
      const io = daemon.io({ stdoutIsTTY: false });
      const listeners = process.listenerCount('SIGINT');
      const following = main(['deploy', '--version', '2.0.0', '--wait'], io);
      await vi.waitFor(() => expect(io.out()).toContain('RolloutProgressing now'));
      expect(process.listenerCount('SIGINT')).toBe(listeners + 1);
      process.emit('SIGINT');
      expect(await following).toBe(130);
      expect(io.err()).toContain(
        'Stopped following rollout 7; it goes on in the controller. Follow it again with `switchyard status --watch`, or stop it with `switchyard abort`.',
      );
      expect(io.out()).not.toContain('Rollout 7 ended');
      expect(daemon.control.calls.map((c) => c.method)).not.toContain('abort');
      expect(process.listenerCount('SIGINT')).toBe(listeners);
    });

    it('--wait on a terminal redraws a progress block in place', async () => {
      followWith('failed');
      const io = daemon.io({ stdoutIsTTY: true });
      expect(await main(['deploy', '--version', '2.0.0', '--wait'], io)).toBe(1);
      expect(io.out()).toContain('weights  blue 100 · green 0');
      expect(io.out()).toContain('health   blue 1/1 healthy · green 0/0 healthy');
      expect(io.out()).toContain('\x1b[5F\x1b[J');
    });
  });
});
