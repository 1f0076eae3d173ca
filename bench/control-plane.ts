/**
 * Control plane: how long the tool itself takes.
 * - Boot of 10 instances of the test app started directly with ProcessRuntime
 *   (until every one answers /healthz), the app's own cost.
 * - A first blue/green deploy of 10 instances through the controller (its own
 *   process, default 200 ms tick) until the rollout succeeded; the overhead is
 *   that minus the direct boot.
 * - A second deploy (v2 beside v1), then `promote`: time until every request
 *   through the router answers v2.
 * - RSS of the controller and the router process at idle and while a deploy
 *   runs under load.
 *   node bench/control-plane.ts
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProcessRuntime } from '../src/runtime/process/process-runtime.ts';
import type { InstanceRecord } from '../src/runtime/runtime.ts';
import { openStateStore } from '../src/state/open-state-store.ts';
import { httpAppCommand } from '../test/support/apps.ts';
import {
  BENCH_DIR,
  fmt,
  onCleanup,
  freePort,
  isMain,
  rssKb,
  runBench,
  startSwitchyard,
  tempDir,
  trackChild,
} from './lib.ts';

const REPLICAS = 10;

export interface ControlPlaneReport {
  readonly directBootMs: number;
  readonly deployMs: number;
  readonly overheadMs: number;
  readonly promoteTo100Ms: number;
  readonly promoteFailed: number;
  readonly rss: Record<string, number>;
  readonly markdown: string;
}

export async function runControlPlane(log: (line: string) => void): Promise<ControlPlaneReport> {
  const stateDir = await tempDir('control');

  // 1. The app's own boot, 10 at once, straight through the runtime.
  const runtime = new ProcessRuntime({ stateDir: join(stateDir, 'direct') });
  const t0 = performance.now();
  const records = await Promise.all(
    Array.from({ length: REPLICAS }, (_, i) =>
      runtime.start({
        service: 'direct',
        environment: 'default',
        revision: 1,
        version: 'v0',
        pool: 'blue',
        instanceId: `direct-${i}`,
        command: httpAppCommand,
        env: {},
        stopTimeoutMs: 2000,
      }),
    ),
  );
  await Promise.all(records.map((r) => untilHealthy(r)));
  const directBootMs = performance.now() - t0;
  await Promise.all(records.map((r) => runtime.stop(r, { timeoutMs: 2000 })));
  log(`  ${REPLICAS} instances booted directly in ${fmt(directBootMs)} ms`);

  // 2. Router + controller (own processes) on one state dir.
  const router = await startSwitchyard('0-1');
  const routerStateDir = router.stateDir;
  const controller = await startControllerChild(routerStateDir);
  // Stop the controller, then every instance its store recorded (also when the bench fails).
  let stopped = false;
  const stopAll = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await controller.call('stop').catch(() => undefined);
    const store = openStateStore({ dir: routerStateDir });
    const runtime2 = new ProcessRuntime({ stateDir: routerStateDir });
    await Promise.allSettled(
      store.listInstances().map(({ record }) => runtime2.stop(record, { timeoutMs: 2000 })),
    );
    store.close();
  };
  onCleanup(stopAll);
  const listen = await freePort();
  let preview = await freePort();
  while (preview === listen) preview = await freePort();
  const spec = [
    'service: shop',
    `runtime: { type: process, command: ${JSON.stringify(httpAppCommand)} }`,
    `replicas: ${REPLICAS}`,
    'healthCheck: { interval: 200ms, timeout: 150ms, healthyThreshold: 2, startupTimeout: 60s }',
    `router: { listen: ${listen}, preview: ${preview}, drainTimeout: 5s }`,
    'strategy: { blueGreen: { scaleDownDelay: 1s } }',
  ].join('\n');

  const rss: Record<string, number> = {};
  await sleep(500);
  rss['controller idle (no service)'] = ((await controller.call('rss')) as number) / 1024;
  rss['router idle (no service)'] = await rssKb(router.pid);

  const t1 = performance.now();
  const id1 = (await controller.call('deploy', { version: 'v1', specText: spec })) as number;
  await controller.until(id1, (r) => r.status === 'succeeded');
  const deployMs = performance.now() - t1;
  log(
    `  first blue/green deploy of ${REPLICAS}: ${fmt(deployMs)} ms (overhead ${fmt(deployMs - directBootMs)} ms)`,
  );
  await sleep(1000);
  rss['controller idle (10 instances)'] = ((await controller.call('rss')) as number) / 1024;
  rss['router idle (10 instances)'] = await rssKb(router.pid);

  // 3. v2 beside v1 under load, then promote.
  const load = startVersionLoad(listen, 16);
  const id2 = (await controller.call('deploy', { version: 'v2', specText: spec })) as number;
  let peakController = 0;
  let peakRouter = 0;
  const sampler = setInterval(() => {
    void controller
      .call('rss')
      .then((v) => (peakController = Math.max(peakController, (v as number) / 1024)));
    void rssKb(router.pid).then(
      (v) => (peakRouter = Math.max(peakRouter, v)),
      () => undefined,
    );
  }, 200);
  await controller.until(
    id2,
    (r) => (r.data as { strategy?: { phase?: string } }).strategy?.phase === 'awaitingPromote',
  );
  const promotedAt = performance.now();
  load.markPromote(promotedAt);
  await controller.call('promote');
  await controller.until(id2, (r) => r.status === 'succeeded');
  await sleep(500);
  clearInterval(sampler);
  const result = await load.stop();
  const promoteTo100Ms = result.lastV1At - promotedAt;
  rss['controller peak (deploy of 10 under load)'] = peakController;
  rss['router peak (deploy of 10 under load)'] = peakRouter;
  log(
    `  promote → 100 % on v2: ${fmt(promoteTo100Ms)} ms; ${result.failed} failed of ${result.sent}`,
  );

  await stopAll();

  const markdown = [
    `Test app: test/fixtures/apps/http-app.mjs (Node). Health checks every 200 ms, healthy after 2. Controller with its default 200 ms tick, in its own process; router in its own process.`,
    '',
    '| measure | value |',
    '|---|---:|',
    `| boot of ${REPLICAS} instances started directly (ProcessRuntime, until /healthz answers) | ${fmt(directBootMs)} ms |`,
    `| first blue/green deploy of ${REPLICAS} through the controller (deploy → succeeded) | ${fmt(deployMs)} ms |`,
    `| tool overhead beyond the instances' boot | ${fmt(deployMs - directBootMs)} ms |`,
    `| promote → 100 % of requests on the new pool (last old answer after promote was sent) | ${fmt(promoteTo100Ms)} ms |`,
    `| failed requests during the v2 deploy + promote (16 clients) | ${result.failed} / ${result.sent} |`,
    ...Object.entries(rss).map(([k, v]) => `| RSS ${k} | ${fmt(v / 1024, 1)} MiB |`),
  ].join('\n');
  return {
    directBootMs,
    deployMs,
    overheadMs: deployMs - directBootMs,
    promoteTo100Ms,
    promoteFailed: result.failed,
    rss,
    markdown,
  };
}

async function untilHealthy(record: InstanceRecord): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get(
        { host: record.host, port: record.port, path: '/healthz', agent: false },
        (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        },
      );
      req.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${record.instanceId} never became healthy`);
    await sleep(5);
  }
}

interface ControllerChild {
  call(cmd: string, args?: Record<string, unknown>): Promise<unknown>;
  until(id: number, check: (r: { status: string; data: unknown }) => boolean): Promise<void>;
}

async function startControllerChild(stateDir: string): Promise<ControllerChild> {
  const child = fork(join(BENCH_DIR, 'controller-child.ts'), [stateDir], {
    execPath: process.execPath,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  trackChild(child);
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`controller exited ${code}`)));
  });
  let seq = 0;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (m: { seq?: number; value?: unknown; error?: string }) => {
    if (m.seq === undefined) return;
    const w = waiting.get(m.seq);
    waiting.delete(m.seq);
    if (m.error !== undefined) w?.reject(new Error(m.error));
    else w?.resolve(m.value);
  });
  const call = (cmd: string, args: Record<string, unknown> = {}): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const s = ++seq;
      waiting.set(s, { resolve, reject });
      child.send({ cmd, seq: s, ...args });
    });
  return {
    call,
    async until(id, check) {
      const deadline = Date.now() + 90_000;
      for (;;) {
        const r = (await call('rollout', { id })) as { status: string; data: unknown } | null;
        if (r !== null && check(r)) return;
        if (r !== null && ['failed', 'aborted', 'rolledBack'].includes(r.status))
          throw new Error(`rollout ${id} ended ${r.status}`);
        if (Date.now() > deadline) throw new Error(`rollout ${id} timed out`);
        await sleep(10);
      }
    },
  };
}

/** Closed-loop keep-alive load that notes the version of every answer. */
function startVersionLoad(port: number, concurrency: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let sent = 0;
  let failed = 0;
  let stopped = false;
  let promoteAt = Infinity;
  let lastV1At = 0;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      sent++;
      const sentAt = performance.now();
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent, timeout: 5000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => {
          if ((res.statusCode ?? 0) >= 400) failed++;
          else if (body.includes('"v1"') && sentAt >= promoteAt)
            lastV1At = Math.max(lastV1At, sentAt);
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        failed++;
        resolve();
      });
    });
  const loops = Array.from({ length: concurrency }, async () => {
    while (!stopped) {
      await one();
      await sleep(2);
    }
  });
  return {
    markPromote(at: number) {
      promoteAt = at;
      lastV1At = at;
    },
    async stop() {
      stopped = true;
      await Promise.all(loops);
      agent.destroy();
      return { sent, failed, lastV1At };
    },
  };
}

if (isMain(import.meta.url)) {
  runBench(async () => {
    const report = await runControlPlane((l) => process.stdout.write(`${l}\n`));
    process.stdout.write(`\n${report.markdown}\n`);
  });
}
