/**
 * Two `switchyard deploy` at once, 20 times, through the real CLI against a
 * real daemon (`switchyard up --detach --state <tmp>`): both contenders are
 * started, load the CLI, and wait at a barrier (a TCP server in the test);
 * one "go" releases them together. Each round exactly one exits 0 with its
 * rollout created, the other exits 3 naming the rollout in flight. The
 * winner is then aborted (even rounds) or left to finish (odd rounds)
 * before the next round.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../src/runtime/process/free-port.ts';
import { openStateStore } from '../../src/state/open-state-store.ts';
import type { SqliteStateStore } from '../../src/state/sqlite/sqlite-state-store.ts';
import { httpAppCommand } from '../support/apps.ts';
import type { RunResult } from '../system/cli-harness.ts';
import { daemonInfo, run, stopEverything } from '../system/cli-harness.ts';
import { until } from '../system/controller-harness.ts';

const ROUNDS = 20;
const barrierCli = fileURLToPath(new URL('./barrier-cli.ts', import.meta.url));
const FINAL = ['succeeded', 'failed', 'aborted', 'rolledBack'];

let dir: string;
let stateDir: string;
let service: string;
let store: SqliteStateStore | undefined;
let daemonPid = 0;
let routerPid = 0;

const sy = (...args: string[]): Promise<RunResult> => run(dir, [...args, '--state', stateDir]);

/** Starts `switchyard ARGS` held at the barrier; resolves when it has exited. */
function contender(port: number, args: readonly string[]): Promise<RunResult> {
  return run(dir, [String(port), '--', ...args], { script: barrierCli });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-double-deploy-'));
  stateDir = join(dir, 'state');
  service = `dd${process.pid}x${Date.now().toString(36)}`;
  const listen = await findFreePort('127.0.0.1');
  let preview = await findFreePort('127.0.0.1');
  while (preview === listen) preview = await findFreePort('127.0.0.1');
  const spec = (file: string, strategy: string): void =>
    writeFileSync(
      join(dir, file),
      [
        `service: ${service}`,
        `runtime: { type: process, command: ${JSON.stringify(httpAppCommand)} }`,
        'replicas: 1',
        'healthCheck: { path: /healthz, interval: 200ms, timeout: 150ms, healthyThreshold: 1, startupTimeout: 60s }',
        `router: { listen: ${listen}, preview: ${preview}, drainTimeout: 1s }`,
        `strategy: ${strategy}`,
        '',
      ].join('\n'),
    );
  // Finishes on its own; the manual one waits for promote, and is aborted.
  spec('switchyard.yaml', '{ blueGreen: { autoPromote: 0s, scaleDownDelay: 0s } }');
  spec('manual.yaml', '{ blueGreen: { scaleDownDelay: 0s } }');
  const up = await sy('up', '--detach');
  expect(up.stderr).toBe('');
  expect(up.code).toBe(0);
  ({ pid: daemonPid, routerPid } = daemonInfo(stateDir));
  store = openStateStore({ dir: stateDir });
});

afterAll(async () => {
  store?.close();
  if (dir === undefined) return;
  await stopEverything(() => sy('down'), [daemonPid, routerPid], [`SWITCHYARD_SERVICE=${service}`]);
  rmSync(dir, { recursive: true, force: true });
});

describe(`two deploys at once, ${ROUNDS} times, through the CLI`, () => {
  it('lets exactly one proceed each round; the other exits 3', { timeout: 240_000 }, async () => {
    const key = { service, environment: 'default' };
    const tally = { won: 0, refused: 0 };
    for (let round = 1; round <= ROUNDS; round += 1) {
      const waiting: Socket[] = [];
      const barrier: Server = createServer((socket) => waiting.push(socket));
      await new Promise<void>((resolve) => barrier.listen(0, '127.0.0.1', resolve));
      const port = (barrier.address() as { port: number }).port;
      const runs = [`${round}a`, `${round}b`].map((version) =>
        contender(port, [
          'deploy',
          '-f',
          round % 2 === 0 ? 'manual.yaml' : 'switchyard.yaml',
          '--version',
          version,
          '--json',
          '--state',
          stateDir,
        ]),
      );
      await until(() => waiting.length === 2, 20);
      for (const socket of waiting) socket.end('go');
      const results = await Promise.all(runs);
      await new Promise<void>((resolve) => barrier.close(() => resolve()));

      const codes = results.map((r) => r.code).sort();
      expect(codes, JSON.stringify(results)).toEqual([0, 3]);
      const winner = results.find((r) => r.code === 0) as RunResult;
      const loser = results.find((r) => r.code === 3) as RunResult;
      expect(loser.stderr).toMatch(/Cannot start another rollout/);
      const view = JSON.parse(winner.stdout) as { id: number; version: string };
      expect(loser.stderr).toContain(`rollout ${view.id} `);
      tally.won += 1;
      tally.refused += 1;
      // Only the winner's revision and rollout exist.
      const rollouts = (store as SqliteStateStore).listRollouts(key);
      expect(rollouts).toHaveLength(round);
      expect(rollouts[0]?.id).toBe(view.id);

      if (round % 2 === 0) {
        const abort = await sy('abort', '-f', 'manual.yaml');
        expect(abort.code, abort.stderr).toBe(0);
      }
      await until(
        () => FINAL.includes((store as SqliteStateStore).getRollout(view.id)?.status ?? ''),
        100,
      );
      expect((store as SqliteStateStore).getRollout(view.id)?.status).toBe(
        round % 2 === 0 ? 'aborted' : 'succeeded',
      );
      await until(() => (store as SqliteStateStore).getLock(key) === undefined, 100);
    }
    const revisions = (store as SqliteStateStore).listRevisions(key);
    expect(revisions.map((r) => r.number).sort((a, b) => a - b)).toEqual(
      Array.from({ length: ROUNDS }, (_, i) => i + 1),
    );
    console.log(
      `double-deploy: ${ROUNDS} rounds, ${tally.won} proceeded, ${tally.refused} exited 3`,
    );
  });
});
