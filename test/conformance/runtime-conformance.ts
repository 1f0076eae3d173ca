/**
 * The runtime conformance suite: the behaviour every runtime driver (local
 * processes and containers now; SSH hosts and Kubernetes later) must show,
 * against a real instance of test/fixtures/apps/http-app.mjs.
 *
 * A driver's test file calls describeRuntimeConformance with a factory and a
 * few driver-specific hooks. Each test gets a fresh temporary state directory,
 * stops exactly the instances it started (a forced cleanup by the driver's
 * hook covers a test that failed half-way) and removes the directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  InstanceRecord,
  InstanceRequest,
  InstanceState,
  InstanceStatus,
  Runtime,
} from '../../src/runtime/runtime.ts';
import { httpGet, startRequest, waitForHttpOk } from './http-client.ts';

/** The test app every runtime runs. */
export const HTTP_APP_PATH = fileURLToPath(
  new URL('../fixtures/apps/http-app.mjs', import.meta.url),
);

export interface ConformanceContext {
  /** A fresh temporary directory for this test; a second runtime given it plays a restarted controller. */
  readonly stateDir: string;
  /** Set by the log-cap case. */
  readonly logMaxBytes?: number;
}

export interface RuntimeConformanceOptions {
  makeRuntime(context: ConformanceContext): Runtime;
  /**
   * The request fields that run HTTP_APP_PATH in this runtime: a process
   * runtime's `command`, a container runtime's `container` (image, port...).
   */
  readonly appRequest: Pick<InstanceRequest, 'command' | 'container'>;
  /**
   * The PORT the instance is given: where it listens where it runs. Default
   * the record's port (a process listens where the router reaches it); a
   * container listens on its own port, published on the record's.
   */
  instancePort?(record: InstanceRecord): number;
  /**
   * Ends whatever the record names if it still runs, without the runtime's
   * help, and waits until it has. Runs after every test, so a failed test
   * leaves nothing behind.
   */
  forceCleanup(record: InstanceRecord): Promise<void>;
  /**
   * A record with the same instance id that names another incarnation: what
   * the store would hold if the instance had died and its identity (PID,
   * container id...) had since been reused by something else.
   */
  staleRecord(record: InstanceRecord): InstanceRecord;
  /** Bytes the runtime keeps on disk for the instance's logs. Enables the log-cap case. */
  logBytes?(record: InstanceRecord): Promise<number>;
  /**
   * Starts an instance from a separate controller process and resolves once
   * that process has exited. Enables the case "the instance outlives its
   * controller".
   */
  startFromExitedController?(
    context: ConformanceContext,
    request: InstanceRequest,
  ): Promise<InstanceRecord>;
}

let instanceCounter = 0;

export function describeRuntimeConformance(name: string, options: RuntimeConformanceOptions) {
  describe(`runtime conformance: ${name}`, () => {
    const started: InstanceRecord[] = [];
    const stateDirs: string[] = [];

    afterEach(async () => {
      for (const record of started.splice(0)) await options.forceCleanup(record);
      for (const dir of stateDirs.splice(0)) await rm(dir, { recursive: true, force: true });
    });

    async function newContext(extra: { logMaxBytes?: number } = {}): Promise<ConformanceContext> {
      const stateDir = await mkdtemp(join(tmpdir(), 'switchyard-conformance-'));
      stateDirs.push(stateDir);
      return { stateDir, ...extra };
    }

    function instanceRequest(overrides: Partial<InstanceRequest> = {}): InstanceRequest {
      instanceCounter += 1;
      return {
        service: 'shop',
        environment: 'beta',
        revision: 7,
        version: 'v1.2.3',
        pool: 'canary',
        instanceId: `shop-beta-${process.pid}-${instanceCounter}`,
        ...options.appRequest,
        env: {},
        stopTimeoutMs: 10_000,
        ...overrides,
      };
    }

    async function start(runtime: Runtime, request: InstanceRequest): Promise<InstanceRecord> {
      const record = await runtime.start(request);
      started.push(record);
      return record;
    }

    const url = (record: InstanceRecord, path: string) =>
      `http://${record.host}:${record.port}${path}`;

    async function startHealthy(runtime: Runtime, overrides: Partial<InstanceRequest> = {}) {
      const record = await start(runtime, instanceRequest(overrides));
      await waitForHttpOk(url(record, '/healthz'));
      return record;
    }

    /** Persisting a record and reading it back, as the store does across a restart. */
    const throughStore = (record: InstanceRecord): InstanceRecord =>
      JSON.parse(JSON.stringify(record)) as InstanceRecord;

    async function waitForState(
      runtime: Runtime,
      record: InstanceRecord,
      state: InstanceState,
    ): Promise<InstanceStatus> {
      for (;;) {
        const status = await runtime.inspect(record);
        if (status.state === state) return status;
        await sleep(50);
      }
    }

    /** Follows the log until a line matches; returns the lines seen up to it. */
    async function followUntil(
      runtime: Runtime,
      record: InstanceRecord,
      matches: (line: string) => boolean,
      onFirstLine?: () => Promise<unknown>,
    ): Promise<string[]> {
      const abort = new AbortController();
      const seen: string[] = [];
      try {
        for await (const line of runtime.logs(record, { follow: true, signal: abort.signal })) {
          seen.push(line);
          if (seen.length === 1 && onFirstLine !== undefined) await onFirstLine();
          if (matches(line)) return seen;
        }
      } finally {
        abort.abort();
      }
      throw new Error(`the log of ${record.instanceId} ended before the expected line`);
    }

    async function collect(lines: AsyncIterable<string>): Promise<string[]> {
      const all: string[] = [];
      for await (const line of lines) all.push(line);
      return all;
    }

    it('starts an instance that answers HTTP on its host and port with its version', async () => {
      const runtime = options.makeRuntime(await newContext());
      const record = await startHealthy(runtime);

      expect(record.runtime).toBe(runtime.type);
      expect(record.port).toBeGreaterThan(0);
      const answer = JSON.parse((await httpGet(url(record, '/'))).body) as Record<string, unknown>;
      expect(answer).toMatchObject({
        version: 'v1.2.3',
        pool: 'canary',
        instance: record.instanceId,
      });
      expect(await runtime.inspect(record)).toEqual({ state: 'running' });
    });

    it('gives the instance every DESIGN.md variable beside the spec env', async () => {
      const runtime = options.makeRuntime(await newContext());
      const record = await startHealthy(runtime, {
        env: {
          LOG_LEVEL: 'debug',
          DATABASE_URL: 'postgres://db/shop',
          ECHO_ENV: 'LOG_LEVEL,DATABASE_URL',
        },
      });

      const answer = JSON.parse((await httpGet(url(record, '/'))).body) as {
        env: Record<string, string>;
      };
      expect(answer.env).toEqual({
        PORT: String(options.instancePort?.(record) ?? record.port),
        SWITCHYARD_SERVICE: 'shop',
        SWITCHYARD_ENV: 'beta',
        SWITCHYARD_VERSION: 'v1.2.3',
        SWITCHYARD_REVISION: '7',
        SWITCHYARD_POOL: 'canary',
        SWITCHYARD_INSTANCE: record.instanceId,
        LOG_LEVEL: 'debug',
        DATABASE_URL: 'postgres://db/shop',
      });
    });

    it("does not hand the controller's own environment to the instance", async () => {
      const runtime = options.makeRuntime(await newContext());
      const saved = process.env.SWITCHYARD_TEST_LEAK;
      process.env.SWITCHYARD_TEST_LEAK = 'secret';
      let record: InstanceRecord;
      try {
        record = await startHealthy(runtime, { env: { ECHO_ENV: 'PATH' } });
      } finally {
        if (saved === undefined) delete process.env.SWITCHYARD_TEST_LEAK;
        else process.env.SWITCHYARD_TEST_LEAK = saved;
      }

      const answer = JSON.parse((await httpGet(url(record, '/'))).body) as {
        env: Record<string, string>;
      };
      expect(answer.env).not.toHaveProperty('SWITCHYARD_TEST_LEAK');
      expect(answer.env.PATH).toEqual(expect.any(String));
    });

    it('stops with a drain: a slow request in flight when stop is called completes with 200', async () => {
      const runtime = options.makeRuntime(await newContext());
      const record = await startHealthy(runtime);

      const slow = startRequest(url(record, '/slow?ms=1500'));
      await slow.headers; // the app is now serving it
      const result = await runtime.stop(record);

      expect(await slow.response).toEqual({ status: 200, body: 'done' });
      expect(result).toEqual({ exitCode: 0, signal: null, killed: false });
      expect(await runtime.inspect(record)).toMatchObject({ state: 'exited', exitCode: 0 });
      await expect(httpGet(url(record, '/healthz'))).rejects.toThrow();
    });

    it('kills an instance that ignores SIGTERM once the stop timeout has passed', async () => {
      const runtime = options.makeRuntime(await newContext());
      const record = await startHealthy(runtime, {
        env: { IGNORE_SIGTERM: '1' },
        // Long enough for the app to log that it saw SIGTERM before the SIGKILL.
        stopTimeoutMs: 1000,
      });

      const result = await runtime.stop(record);

      expect(result.killed).toBe(true);
      expect(result.signal === 'SIGKILL' || result.exitCode === 137).toBe(true);
      expect((await runtime.inspect(record)).state).not.toBe('running');
      // It was asked politely first.
      expect(await collect(runtime.logs(record))).toContain('got SIGTERM, ignoring it');
    });

    it('lets the stop timeout be overridden per call', async () => {
      const runtime = options.makeRuntime(await newContext());
      const record = await startHealthy(runtime, {
        env: { IGNORE_SIGTERM: '1' },
        stopTimeoutMs: 3_600_000,
      });

      const result = await runtime.stop(record, { timeoutMs: 200 });

      expect(result.killed).toBe(true);
      expect((await runtime.inspect(record)).state).not.toBe('running');
    });

    it('keeps what the instance writes to stdout and stderr, and tails it', async () => {
      const runtime = options.makeRuntime(await newContext());
      const record = await startHealthy(runtime, { env: { LOG_LINES: '5' } });
      await followUntil(runtime, record, (line) => line === 'line 5');
      await httpGet(url(record, '/log?line=on-stderr&stream=stderr'));
      await followUntil(runtime, record, (line) => line === 'on-stderr');

      const all = await collect(runtime.logs(record));
      expect(all.filter((line) => line.startsWith('line '))).toEqual([
        'line 1',
        'line 2',
        'line 3',
        'line 4',
        'line 5',
      ]);
      expect(await collect(runtime.logs(record, { tail: 2 }))).toEqual(['line 5', 'on-stderr']);
    });

    it('masks the values of the secrets it was given in what the instance writes, also after the stop', async () => {
      const runtime = options.makeRuntime(await newContext());
      const value = `planted-${process.pid}-${Date.now().toString(36)}`;
      const record = await startHealthy(runtime, {
        env: { API_TOKEN: value, GREETING: 'hello' },
        secretNames: ['API_TOKEN'],
      });
      await httpGet(url(record, `/log?line=token%3D${value}%20greeting%3Dhello`));
      await httpGet(url(record, `/log?line=again-${value}-on-stderr&stream=stderr`));
      const seen = await followUntil(runtime, record, (line) => line.startsWith('again-'));
      expect(seen.at(-1)).toBe('again-********-on-stderr');
      const running = await collect(runtime.logs(record));
      expect(running).toContain('token=******** greeting=hello');
      expect(running.filter((line) => line.includes(value))).toEqual([]);

      await runtime.stop(record, { timeoutMs: 2000 });
      const kept = await collect(runtime.logs(record));
      expect(kept).toContain('token=******** greeting=hello');
      expect(kept.filter((line) => line.includes(value))).toEqual([]);
    });

    it('follows the log: a line written after the call is delivered', async () => {
      const runtime = options.makeRuntime(await newContext());
      const record = await startHealthy(runtime);

      // The first line proves the reader is past what was there at the call.
      const seen = await followUntil(
        runtime,
        record,
        (line) => line === 'written-after-the-call',
        () => httpGet(url(record, '/log?line=written-after-the-call')),
      );
      expect(seen.at(-1)).toBe('written-after-the-call');
    });

    it('adopts after a controller restart: a fresh runtime inspects, reads and stops the instance', async () => {
      const context = await newContext();
      const first = options.makeRuntime(context);
      const original = await startHealthy(first, { env: { LOG_LINES: '1' } });
      await followUntil(first, original, (line) => line === 'line 1');

      const restarted = options.makeRuntime(context);
      const record = throughStore(original);
      expect(await restarted.inspect(record)).toEqual({ state: 'running' });
      expect(await collect(restarted.logs(record))).toContain('line 1');
      const result = await restarted.stop(record);

      expect(result).toEqual({ exitCode: 0, signal: null, killed: false });
      expect(await first.inspect(original)).toMatchObject({ state: 'exited', exitCode: 0 });
    });

    it('detects a crash: an instance that exits with code 3 is reported exited with 3', async () => {
      const runtime = options.makeRuntime(await newContext());
      const record = await start(
        runtime,
        instanceRequest({ env: { EXIT_AFTER_MS: '300', EXIT_CODE: '3' } }),
      );

      const status = await waitForState(runtime, record, 'exited');

      expect(status.exitCode).toBe(3);
      // Stopping what already ended answers at once with what is known.
      expect(await runtime.stop(record)).toEqual({ exitCode: 3, signal: null, killed: false });
    });

    it('never touches a reused identity: a stale record is gone and its stop signals nothing', async () => {
      const runtime = options.makeRuntime(await newContext());
      const record = await startHealthy(runtime);
      const before = JSON.parse((await httpGet(url(record, '/'))).body) as { pid: number };
      const stale = options.staleRecord(throughStore(record));

      expect(await runtime.inspect(stale)).toEqual({ state: 'gone' });
      expect(await runtime.stop(stale, { timeoutMs: 100 })).toMatchObject({ killed: false });

      expect(await runtime.inspect(record)).toEqual({ state: 'running' });
      const after = JSON.parse((await httpGet(url(record, '/'))).body) as { pid: number };
      expect(after.pid).toBe(before.pid);
      expect((await runtime.stop(record)).exitCode).toBe(0);
    });

    if (options.logBytes !== undefined) {
      const logBytes = options.logBytes;
      it('caps the log: writing far more than the cap keeps the total bounded and the newest lines', async () => {
        const cap = 64 * 1024;
        const runtime = options.makeRuntime(await newContext({ logMaxBytes: cap }));
        const record = await startHealthy(runtime);
        const written = 5000 * 100;

        await httpGet(url(record, '/log?count=5000&size=99'));
        await followUntil(runtime, record, (line) => line === 'end-of-burst');

        const kept = await logBytes(record);
        expect(kept).toBeLessThan(written);
        // Two files of at most the cap each, plus one pipe read that may straddle a rotation.
        expect(kept).toBeLessThanOrEqual(2 * cap + 64 * 1024);
        expect(await collect(runtime.logs(record, { tail: 2 }))).toEqual([
          'burst 5000 '.padEnd(99, 'x'),
          'end-of-burst',
        ]);
      });
    }

    if (options.startFromExitedController !== undefined) {
      const startElsewhere = options.startFromExitedController;
      it('outlives the controller that started it, and keeps logging', async () => {
        const context = await newContext();
        const record = await startElsewhere(context, instanceRequest());
        started.push(record);
        await waitForHttpOk(url(record, '/healthz'));

        const runtime = options.makeRuntime(context);
        expect(await runtime.inspect(record)).toEqual({ state: 'running' });
        await httpGet(url(record, '/log?line=after-the-controller-exited'));
        await followUntil(runtime, record, (line) => line === 'after-the-controller-exited');
        expect(await runtime.stop(record)).toEqual({ exitCode: 0, signal: null, killed: false });
      });
    }
  });
}
