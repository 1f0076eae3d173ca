/**
 * The CLI end to end, as a user runs it: the real `bin/switchyard.js` in a
 * temporary project folder, the real daemon (`up --detach`) with its router
 * process, and instances of the test app under the process runtime. Every
 * verb is checked for its exit code (DESIGN.md: 0 ok, 1 rollout failed or
 * aborted, 2 bad input, 3 conflict) and its `--json` shape. The cases run in
 * order, each building on the service the ones before left behind.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  HistoryEntry,
  RolloutView,
  ServiceStatus,
} from '../../src/controller/control-plane.ts';
import { findFreePort } from '../../src/runtime/process/free-port.ts';
import { httpAppCommand } from '../support/apps.ts';
import { alive, processesMentioning } from '../support/processes.ts';
import { daemonInfo, run, start, stopEverything, until, type RunResult } from './cli-harness.ts';

const NOT_RUNNING = 'Switchyard is not running here. Start it with `switchyard up`.\n';

let dir: string;
let stateDir: string;
let service: string;
let daemonPid = 0;
let routerPid = 0;
let listen = 0;

const sy = (...args: string[]): Promise<RunResult> => run(dir, args);

function json<T>(result: RunResult): T {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as T;
}

async function status(): Promise<ServiceStatus> {
  return json<ServiceStatus>(await sy('status', '--json'));
}

async function history(): Promise<HistoryEntry[]> {
  return json<HistoryEntry[]>(await sy('history', '--json'));
}

function phaseOf(rollout: RolloutView | null): string | undefined {
  return (rollout?.data as { strategy?: { phase?: string } } | undefined)?.strategy?.phase;
}

/** Polls status until the rollout `id` is in `phase`. */
function rolloutPhase(id: number, phase: string): Promise<ServiceStatus> {
  return until(`rollout ${id} to reach phase ${phase}`, async () => {
    const now = await status();
    return now.rollout?.id === id && phaseOf(now.rollout) === phase && now;
  });
}

/** Polls status until the rollout `id` has ended. */
function rolloutEnded(id: number): Promise<ServiceStatus> {
  return until(`rollout ${id} to end`, async () => {
    const now = await status();
    return (
      now.rollout?.id === id &&
      ['succeeded', 'failed', 'aborted', 'rolledBack'].includes(now.rollout.status) &&
      now
    );
  });
}

/** What the router answers on the listen port: the app's version. */
async function servedVersion(): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${listen}/`);
  return ((await response.json()) as { version: string }).version;
}

function writeSpec(file: string, preview: number, scaleDownDelay: string): void {
  writeFileSync(
    join(dir, file),
    [
      `service: ${service}`,
      `runtime: { type: process, command: ${JSON.stringify(httpAppCommand)} }`,
      'port: 3000',
      'replicas: 2',
      'healthCheck: { path: /healthz, interval: 200ms, timeout: 150ms, healthyThreshold: 2, unhealthyThreshold: 2, startupTimeout: 60s }',
      `router: { listen: ${listen}, preview: ${preview}, drainTimeout: 2s }`,
      `strategy: { blueGreen: { scaleDownDelay: ${scaleDownDelay} } }`,
      '',
    ].join('\n'),
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));
  stateDir = join(dir, '.switchyard');
  service = `cli${process.pid}x${Date.now().toString(36)}`;
  listen = await findFreePort('127.0.0.1');
  let preview = await findFreePort('127.0.0.1');
  while (preview === listen) preview = await findFreePort('127.0.0.1');
  writeSpec('switchyard.yaml', preview, '1s');
  // For the instant rollback: the old pool stays far longer than the test needs.
  writeSpec('long-window.yaml', preview, '10m');

  const up = await sy('up', '--detach');
  expect(up.stderr).toBe('');
  expect(up.code).toBe(0);
  ({ pid: daemonPid, routerPid } = daemonInfo(stateDir));
});

afterAll(async () => {
  // Normally the last case has stopped the daemon and the router; this is
  // for a run that failed midway: anything left is stopped here by PID, every process whose
  // environment names this test's unique service, or whose command line
  // names its folder.
  if (dir === undefined) return;
  await stopEverything(
    () => sy('down'),
    [daemonPid, routerPid],
    [`SWITCHYARD_SERVICE=${service}`, dir],
  );
  const left = [
    ...processesMentioning(`SWITCHYARD_SERVICE=${service}`),
    ...processesMentioning(dir),
  ];
  rmSync(dir, { recursive: true, force: true });
  expect(left, 'processes of this test still running after cleanup').toEqual([]);
});

describe('the switchyard CLI against a real daemon', () => {
  it('deploy --version 1 --wait follows the first rollout in plain lines and exits 0', async () => {
    const deploy = await sy('deploy', '--version', '1', '--wait');
    expect(deploy.stderr).toBe('');
    expect(deploy.code).toBe(0);
    expect(deploy.stdout).toMatch(/^Deploying 1 as revision 1 \(rollout [0-9]+\)\.\n/);
    // Not a terminal: one plain line per event, no cursor movement.
    expect(deploy.stdout).toMatch(
      new RegExp(`^[0-9]{2}:[0-9]{2}:[0-9]{2} ${service}/default \\w+: .+$`, 'm'),
    );
    expect(deploy.stdout).not.toContain('\u001b[');
    expect(deploy.stdout).toMatch(
      new RegExp(`Rollout [0-9]+ succeeded: ${service}/default runs 1 \\(revision 1\\)\\.\\n$`),
    );
    expect(await servedVersion()).toBe('1');
  });

  it('status --json: one pool with all traffic and every instance healthy', async () => {
    const now = await status();
    expect(now).toMatchObject({
      service,
      environment: 'default',
      stable: { revision: 1, version: '1' },
      rollout: { status: 'succeeded', revision: 1, version: '1' },
      router: { listen },
      lock: null,
    });
    expect(now.pools).toHaveLength(1);
    expect(now.pools[0]).toMatchObject({ revision: 1, version: '1', weight: 100 });
    expect(now.pools[0]?.instances).toHaveLength(2);
    expect(now.pools[0]?.instances.every((i) => i.healthy && i.version === '1')).toBe(true);

    const text = await sy('status');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(service);
  });

  it('history --json: the revision with its outcome', async () => {
    const entries = await history();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      revision: { number: 1, version: '1' },
      rollout: { status: 'succeeded' },
      outcome: 'succeeded',
    });
    expect(entries[0]?.durationMs).toEqual(expect.any(Number));
    const text = await sy('history');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^REV\tVERSION\tOUTCOME/);
    expect(text.stdout).toMatch(/^1\t1\tsucceeded\t/m);
  });

  it('logs --tail 5 shows lines from the app, --json as JSON lines', async () => {
    const logs = await sy('logs', '--tail', '5');
    expect(logs.stderr).toBe('');
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/^\S+ \| listening on [0-9]+ version=1$/m);

    const lines = await sy('logs', '--tail', '5', '--json');
    expect(lines.code).toBe(0);
    const parsed = lines.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { instanceId: string; line: string });
    expect(parsed.length).toBeGreaterThan(0);
    expect(parsed.some((l) => /^listening on [0-9]+ version=1$/.test(l.line))).toBe(true);
  });

  it('lock status --json when free, and lock release when free', async () => {
    expect(json(await sy('lock', 'status', '--json'))).toEqual({ lock: null });
    const release = await sy('lock', 'release');
    expect(release.code).toBe(0);
    expect(release.stdout).toBe(`The lock of ${service}/default was not held.\n`);
  });

  it('a bad spec exits 2 with file:line, and changes nothing', async () => {
    writeFileSync(
      join(dir, 'bad.yaml'),
      readFileSync(join(dir, 'switchyard.yaml'), 'utf8').replace('replicas: 2', 'replicsa: 2'),
    );
    const bad = await sy('deploy', '-f', 'bad.yaml', '--version', '9');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.yaml:4:1 replicsa: .*did you mean "replicas"/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    expect(bad.stdout).toBe('');
    expect((await history()).map((h) => h.revision.number)).toEqual([1]);
  });

  it('traffic and scale refuse malformed input with exit 2', async () => {
    const malformed = await sy('traffic', '--weights', '5x');
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/^error: --weights "5x": "5x" is not a whole number .+\.\n$/);

    const tooMany = await sy('traffic', '--weights', '50:50');
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toContain('it has 2 weights but there is 1 pool.');

    const zero = await sy('scale', '0');
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('"0" is not a whole number from 1.');
  });

  let second = 0;

  it('deploy --version 2 waits for promote; a second deploy exits 3 naming the holder', async () => {
    const deploy = await sy('deploy', '-f', 'long-window.yaml', '--version', '2', '--json');
    const rollout = json<RolloutView>(deploy);
    expect(rollout).toMatchObject({ revision: 2, version: '2' });
    second = rollout.id;

    const other = await sy('deploy', '--version', '3');
    expect(other.code).toBe(3);
    expect(other.stderr).toMatch(
      new RegExp(
        `^error: Cannot start another rollout: rollout ${second} of ${service}/default is \\w+, held by \\S+ since \\S+ \\(deploy of 2 \\(revision 2\\)`,
      ),
    );
    expect((await history()).map((h) => h.revision.version)).toEqual(['2', '1']);

    const lock = json<{ lock: { holder: string; since: string; reason: string } }>(
      await sy('lock', 'status', '--json'),
    );
    expect(lock.lock).toMatchObject({ holder: expect.any(String), since: expect.any(String) });
    expect(lock.lock.reason).toContain('deploy of 2 (revision 2)');

    // The rollout holds the lock: release without --force is a conflict.
    const release = await sy('lock', 'release');
    expect(release.code).toBe(3);
    expect(release.stderr).toContain(`held by ${lock.lock.holder}`);

    await rolloutPhase(second, 'awaitingPromote');
  });

  it('traffic by hand and cleanup are refused while the rollout is in flight (exit 3)', async () => {
    const refused = await sy('traffic', '--weights', '50:50');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/^error: Cannot .+ rollout [0-9]+ .+ is \w+, held by /);

    // The new pool takes no traffic yet, but it is the rollout's: cleanup,
    // with or without --yes and a terminal, is a conflict and removes nothing.
    for (const args of [['cleanup'], ['cleanup', '--yes']]) {
      const cleanup = await sy(...args);
      expect(cleanup.code).toBe(3);
      expect(cleanup.stderr).toMatch(
        new RegExp(
          `^error: Cannot clean up: rollout ${second} of ${service}/default is paused, held by `,
        ),
      );
    }
    const now = await status();
    expect(now.pools.map((p) => [p.version, p.weight, p.instances.length])).toEqual([
      ['1', 100, 2],
      ['2', 0, 2],
    ]);
  });

  it('status --watch prints the state and ends on Ctrl-C with exit 0', async () => {
    const watch = start(dir, ['status', '--watch']);
    await until('status --watch to print', () => watch.stdout().includes(service));
    watch.child.kill('SIGINT');
    const result = await watch.done;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(service);
  });

  it('pause, resume, promote steer the rollout; rollback --to 1 is instant while the old pool runs', async () => {
    const paused = json<RolloutView>(await sy('pause', '--json'));
    expect(paused).toMatchObject({ id: second, status: 'paused' });
    const resumed = await sy('resume');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`rollout ${second} (2)`);

    const promote = await sy('promote');
    expect(promote.stderr).toBe('');
    expect(promote.code).toBe(0);
    const switched = await until('traffic on version 2', async () => {
      const now = await status();
      return now.pools.find((p) => p.version === '2')?.weight === 100 && now;
    });
    expect(switched.rollout?.id).toBe(second);
    expect(await servedVersion()).toBe('2');

    // Within scaleDownDelay (10m in long-window.yaml): the same rollout goes back, no new one.
    const rollback = json<RolloutView>(await sy('rollback', '--to', '1', '--json'));
    expect(rollback.id).toBe(second);
    const ended = await rolloutEnded(second);
    expect(ended.rollout?.status).toBe('rolledBack');
    expect(ended.pools.map((p) => [p.version, p.weight])).toEqual([['1', 100]]);
    expect(await servedVersion()).toBe('1');
    expect((await history())[0]).toMatchObject({
      revision: { number: 2 },
      outcome: 'rolledBack',
    });
  });

  it('abort on a third deploy: the deploy --wait following it exits 1', async () => {
    const follow = start(dir, ['deploy', '--version', '3', '--wait']);
    await until('deploy of 3 to start', () => /\(rollout [0-9]+\)/.test(follow.stdout()));
    const id = Number(/\(rollout ([0-9]+)\)/.exec(follow.stdout())?.[1]);
    const abort = await sy('abort');
    expect(abort.stderr).toBe('');
    expect(abort.code).toBe(0);
    const result = await follow.done;
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`Rollout ${id} ended aborted`);
    const now = await status();
    expect(now.rollout).toMatchObject({ id, status: 'aborted' });
    expect(now.pools.map((p) => [p.version, p.weight])).toEqual([['1', 100]]);
    expect(json(await sy('lock', 'status', '--json'))).toEqual({ lock: null });
  });

  it('deploy 4, promote, --wait exits 0 once the old pool is gone; rollback is then a new rollout', async () => {
    const follow = start(dir, ['deploy', '--version', '4', '--wait']);
    await until('deploy of 4 to start', () => /\(rollout [0-9]+\)/.test(follow.stdout()));
    const id = Number(/\(rollout ([0-9]+)\)/.exec(follow.stdout())?.[1]);
    await rolloutPhase(id, 'awaitingPromote');
    expect((await sy('promote')).code).toBe(0);
    const done = await follow.done;
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toContain(`Rollout ${id} succeeded: ${service}/default runs 4`);
    expect((await status()).pools.map((p) => [p.version, p.weight])).toEqual([['4', 100]]);

    const rollback = json<RolloutView>(await sy('rollback', '--json'));
    expect(rollback.id).not.toBe(id);
    expect(rollback).toMatchObject({ version: '1', revision: 1 });
    // Revision 1's stored spec waits for promote, as it did when deployed.
    await rolloutPhase(rollback.id, 'awaitingPromote');
    expect((await sy('promote', '--full')).code).toBe(0);
    const ended = await rolloutEnded(rollback.id);
    expect(ended.rollout?.status).toBe('succeeded');
    expect(ended.pools.map((p) => [p.version, p.weight])).toEqual([['1', 100]]);
    expect(await servedVersion()).toBe('1');
  });

  it('cleanup with no rollout and no idle pool: nothing to clean up, even without a terminal', async () => {
    const before = await status();
    const dry = await sy('cleanup');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe(`${service}/default: nothing to clean up.\n`);
    expect(json(await sy('cleanup', '--yes', '--json'))).toEqual({ removed: { pools: [] } });
    expect((await status()).pools).toEqual(before.pools);
  });

  it('scale 3: status shows three healthy instances', async () => {
    const scale = await sy('scale', '3');
    expect(scale.stderr).toBe('');
    expect(scale.code).toBe(0);
    const now = await until('three healthy instances', async () => {
      const s = await status();
      const instances = s.pools[0]?.instances ?? [];
      return instances.length === 3 && instances.every((i) => i.healthy) && s;
    });
    expect(now.pools).toHaveLength(1);
    expect(now.pools[0]).toMatchObject({ version: '1', weight: 100 });
  });

  it('a canary failing 20% of its requests is aborted by analysis: deploy --wait exits 1, status and history say why', async () => {
    writeFileSync(
      join(dir, 'canary-bad.yaml'),
      [
        readFileSync(join(dir, 'switchyard.yaml'), 'utf8').replace(
          /strategy: .*/,
          'strategy: { canary: { analysis: { templates: [vsStable] }, steps: [ { setWeight: 25 }, { pause: 10m } ] } }',
        ),
        'env: { FAIL_RATE: "0.2" }',
        'analysis:',
        '  templates:',
        '    vsStable: { interval: 1s, count: 1, metrics: [ { compareWithStable: {} } ] }',
        '',
      ].join('\n'),
    );
    // Traffic for the analysis to judge, bounded in requests and time.
    let stop = false;
    const traffic = (async () => {
      const deadline = Date.now() + 60_000;
      for (let sent = 0; !stop && sent < 20_000 && Date.now() < deadline; sent++) {
        await fetch(`http://127.0.0.1:${listen}/`).then(
          (r) => r.arrayBuffer(),
          () => undefined,
        );
      }
    })();
    const result = await start(dir, ['deploy', '-f', 'canary-bad.yaml', '--version', '5', '--wait'])
      .done;
    stop = true;
    await traffic;
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/Rollout [0-9]+ ended failed: Analysis failed/);
    const text = await sy('status');
    expect(text.stdout).toMatch(/analysis vsStable \(background, [a-z]+ vs [a-z]+\): failed/);
    expect(text.stdout).toMatch(/compareWithStable: [0-9]+ measurement\(s\), latest failed/);
    const rows = await sy('history');
    expect(rows.stdout).toMatch(/\tanalysis vsStable: failed — /);
    expect((await status()).pools.map((p) => [p.version, p.weight])).toEqual([['1', 100]]);
  });

  it('down stops the daemon and the router; a command then says Switchyard is not running', async () => {
    const down = await sy('down');
    expect(down.code).toBe(0);
    expect(down.stdout).toContain(`Stopped the Switchyard daemon (pid ${daemonPid})`);
    expect(down.stdout).toContain(`Stopped the router (pid ${routerPid})`);
    expect(alive(daemonPid)).toBe(false);
    expect(alive(routerPid)).toBe(false);
    // With the router gone, `down` stops the instances too.
    expect(down.stdout).toMatch(/Stopped \d+ instance\(s\)/);
    expect(processesMentioning(`SWITCHYARD_SERVICE=${service}`)).toEqual([]);

    for (const args of [['status'], ['history', '--json'], ['deploy', '--version', '5']]) {
      const result = await sy(...args);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(NOT_RUNNING);
      expect(result.stdout).toBe('');
    }
  });

  it('up after down starts the same pools again and serves the last version', async () => {
    const up = await sy('up', '--detach');
    expect(up.code).toBe(0);
    ({ pid: daemonPid, routerPid } = daemonInfo(stateDir));
    await until('the service to answer again after up', async () => {
      try {
        return (await servedVersion()) === '1';
      } catch {
        return false;
      }
    });
    const down = await sy('down');
    expect(down.code).toBe(0);
    expect(processesMentioning(`SWITCHYARD_SERVICE=${service}`)).toEqual([]);
  });
});
