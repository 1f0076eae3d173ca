/**
 * Secrets never appear in logs, API responses or CLI output (DESIGN.md,
 * Promises). The test plants a secret: the spec lists `secrets:
 * [RELIABILITY_TOKEN]` and a unique value is in the environment of
 * `switchyard up` (the daemon's), nowhere else. After two deploys, an abort
 * and a failed start, it searches every output for that value: every file
 * under the state dir (daemon, controller and router logs, instance logs,
 * the SQLite store with its revision specs and events, the router's
 * config.json), every GET of the API (status, history, logs, lock,
 * services, openapi, the events SSE stream), and the CLI's `status --json`,
 * `history --json`, `logs` and `deploy` output. The app itself prints the
 * value once, so its log must be masked too. The only place the value may
 * be is the instances' environment, which the test checks it reached.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../src/runtime/process/free-port.ts';
import { openStateStore } from '../../src/state/open-state-store.ts';
import { httpAppCommand } from '../support/apps.ts';
import { pidsOfInstance } from '../support/processes.ts';
import type { RunResult } from '../system/cli-harness.ts';
import { daemonInfo, run, stopEverything } from '../system/cli-harness.ts';

const NAME = 'RELIABILITY_TOKEN';
const SECRET = `planted-${randomUUID()}`;

let dir: string;
let stateDir: string;
let service: string;
let daemonPid = 0;
let routerPid = 0;
let listen = 0;
const outputs: { where: string; text: string }[] = [];

/** Runs `switchyard ARGS --state <tmp>` and keeps its output for the search. */
async function sy(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const result = await run(dir, [...args, '--state', stateDir], { env });
  outputs.push({ where: `switchyard ${args.join(' ')}`, text: result.stdout + result.stderr });
  return result;
}

function writeSpec(file: string, command: string, strategy: string, extra = ''): void {
  writeFileSync(
    join(dir, file),
    [
      `service: ${service}`,
      `runtime: { type: process, command: ${JSON.stringify(command)} }`,
      'replicas: 1',
      `secrets: [${NAME}]`,
      'env: { GREETING: hello }',
      'healthCheck: { path: /healthz, interval: 200ms, timeout: 150ms, healthyThreshold: 1, startupTimeout: 5s }',
      `router: { listen: ${listen}, drainTimeout: 1s }`,
      `strategy: ${strategy}`,
      extra,
      '',
    ].join('\n'),
  );
}

function filesUnder(root: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(root)) {
    const path = join(root, entry);
    const info = statSync(path, { throwIfNoEntry: false });
    if (info?.isDirectory()) found.push(...filesUnder(path));
    else if (info?.isFile()) found.push(path);
  }
  return found;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-secrets-'));
  stateDir = join(dir, 'state');
  service = `sec${process.pid}x${Date.now().toString(36)}`;
  listen = await findFreePort('127.0.0.1');
  // The preDeploy hook prints the secret (Switchyard must mask it in the hook's
  // log and event) and succeeds only if it got the secret and did not get a
  // daemon variable the spec does not name.
  writeSpec(
    'switchyard.yaml',
    httpAppCommand,
    '{ blueGreen: { autoPromote: 0s, scaleDownDelay: 0s } }',
    `hooks: { preDeploy: 'echo token=$${NAME}; test -n "$${NAME}" && test -z "$NOT_NAMED"' }`,
  );
  writeSpec('manual.yaml', httpAppCommand, '{ blueGreen: { scaleDownDelay: 0s } }');
  // Starts, then dies before it is healthy: an InstanceExited event with its log tail.
  writeSpec(
    'crashing.yaml',
    `"${process.execPath}" -e "console.log('starting'); process.exit(3)"`,
    '{ blueGreen: { autoPromote: 0s, scaleDownDelay: 0s } }',
  );
  const up = await sy(['up', '--detach'], { [NAME]: SECRET, NOT_NAMED: 'daemon-only' });
  expect(up.code, up.stderr).toBe(0);
  ({ pid: daemonPid, routerPid } = daemonInfo(stateDir));
});

afterAll(async () => {
  if (dir === undefined) return;
  await stopEverything(
    () => sy(['down']),
    [daemonPid, routerPid],
    [`SWITCHYARD_SERVICE=${service}`],
  );
  rmSync(dir, { recursive: true, force: true });
});

describe('a planted secret appears in no output', () => {
  it('reaches the instance and nothing else', { timeout: 120_000 }, async () => {
    const first = await sy(['deploy', '--version', 'v1', '--wait']);
    expect(first.code, first.stderr).toBe(0);
    // The hook ran with the secret and printed it; what was stored is masked.
    const events = openStateStore({ dir: stateDir });
    const hookOutput = events
      .listEvents({ service, environment: 'default' })
      .filter((e) => e.type === 'hook.finished')
      .map((e) => (e.data as { ok: boolean; output: string }) ?? {});
    events.close();
    expect(hookOutput).toEqual([{ ...hookOutput[0], ok: true, output: 'token=********' }]);
    // The instance has the secret in its environment: the one allowed place.
    const store = openStateStore({ dir: stateDir });
    const [instance] = store.listInstances({ service, environment: 'default' });
    const pid = pidsOfInstance(instance?.record.instanceId as string).find((p) =>
      readFileSync(`/proc/${p}/environ`, 'utf8').split('\0').includes(`${NAME}=${SECRET}`),
    );
    expect(pid, 'the instance got the secret').toBeDefined();
    // The app writes a log line, and one with the secret in it (as an app that
    // prints its connection string would); both through the router.
    expect((await fetch(`http://127.0.0.1:${listen}/log?line=hello-from-app`)).status).toBe(200);
    const printed = `/log?line=${encodeURIComponent(`connecting with token=${SECRET}`)}`;
    expect((await fetch(`http://127.0.0.1:${listen}${printed}`)).status).toBe(200);
    const appLogs = await sy(['logs']);
    expect(appLogs.stdout).toContain('connecting with token=********');

    const second = await sy(['deploy', '-f', 'manual.yaml', '--version', 'v2']);
    expect(second.code, second.stderr).toBe(0);
    const abort = await sy(['abort', '-f', 'manual.yaml']);
    expect(abort.code, abort.stderr).toBe(0);
    const crashing = await sy(['deploy', '-f', 'crashing.yaml', '--version', 'v3', '--wait']);
    expect(crashing.code).not.toBe(0);
    await sy(['status']);
    for (const args of [['status', '--json'], ['history', '--json'], ['logs'], ['history']]) {
      const result = await sy(args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    }

    // Every GET of the API.
    const api = daemonInfo(stateDir);
    const token = readFileSync(join(stateDir, 'token'), 'utf8').trim();
    const headers = { authorization: `Bearer ${token}` };
    const base = `${api.url.replace(/\/$/, '')}`;
    const paths = [
      '/v1/healthz',
      '/v1/openapi.json',
      '/v1/services',
      ...['status', 'history', 'logs', 'lock'].map((p) => `/v1/services/${service}/default/${p}`),
    ];
    for (const path of paths) {
      const response = await fetch(`${base}${path}`, { headers });
      expect(response.status, path).toBe(200);
      outputs.push({ where: `GET ${path}`, text: await response.text() });
    }
    // The events stream from the start, read until it has every stored event.
    const lastId = store.listEvents({}).at(-1)?.id ?? 0;
    store.close();
    const controller = new AbortController();
    const guard = setTimeout(() => controller.abort(), 20_000);
    let sse = '';
    try {
      const response = await fetch(`${base}/v1/events?after=0`, {
        headers,
        signal: controller.signal,
      });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      while (!sse.includes(`id: ${lastId}\n`)) {
        const { value, done } = await reader.read();
        if (done) break;
        sse += decoder.decode(value, { stream: true });
      }
      controller.abort();
    } finally {
      clearTimeout(guard);
    }
    expect(sse, 'the events stream reached the last event').toContain(`id: ${lastId}\n`);
    expect(sse).toContain('instance.exited');
    outputs.push({ where: 'GET /v1/events', text: sse });

    // Every file under the state dir, as bytes: logs, store, router config.
    const files = filesUnder(stateDir);
    expect(files.some((f) => f.endsWith('config.json'))).toBe(true);
    expect(files.some((f) => f.endsWith('.log'))).toBe(true);
    for (const file of files) {
      outputs.push({ where: file.slice(stateDir.length + 1), text: readFileSync(file, 'latin1') });
    }
    const leaks = outputs.filter((o) => o.text.includes(SECRET)).map((o) => o.where);
    console.log(
      `secrets: searched ${outputs.length} outputs (${files.length} files, ${paths.length + 1} API answers, CLI output) for the planted value`,
    );
    expect(leaks).toEqual([]);
    // The search itself works: the name is there (specs list it), the value is not.
    expect(outputs.some((o) => o.text.includes(NAME))).toBe(true);
  });
});
