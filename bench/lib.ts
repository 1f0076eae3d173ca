/**
 * Shared parts of the benchmarks: temp dirs, pinned child processes stopped by
 * PID, the reference data planes (nginx, HAProxy, a naive node:http proxy),
 * Switchyard's router as its own process, wrk and a fixed-rate generator.
 * Loopback only; every load is bounded in time; everything started here is
 * tracked and stopped by `cleanup()`.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import net from 'node:net';
import { Pool } from 'undici';
import { findFreePort } from '../src/runtime/process/free-port.ts';
import { spawnRouter, type RouterProcess } from '../src/router/spawn-router.ts';
import { routerService, type RouterConfig, type RouterPool } from '../src/router/config.ts';

export const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
/** The proxies under test run here; wrk, the load generators and the upstreams on the other core. */
export const PROXY_CORE = '0';
export const LOAD_CORE = '1';

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
const routers = new Set<RouterProcess>();

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `switchyard-bench-${prefix}-`));
  dirs.add(dir);
  return dir;
}

export function freePort(): Promise<number> {
  return findFreePort('127.0.0.1');
}

/** Starts `command` pinned to `core` with taskset; tracked for cleanup. */
export function startPinned(core: string, command: string, args: readonly string[]): ChildProcess {
  const child = spawn('taskset', ['-c', core, command, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 4000) stderr += chunk.toString();
  });
  child.once('exit', (code, signal) => {
    children.delete(child);
    if (code !== 0 && code !== null && !stopping.has(child))
      process.stderr.write(`bench: ${command} exited ${code}: ${stderr}\n`);
    void signal;
  });
  children.add(child);
  return child;
}

const stopping = new Set<ChildProcess>();

export async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  stopping.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
  children.delete(child);
}

export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

const hooks: (() => Promise<void>)[] = [];
/** Runs before processes are stopped (e.g. stop instances a controller started). */
export function onCleanup(hook: () => Promise<void>): void {
  hooks.push(hook);
}

export async function cleanup(): Promise<void> {
  for (const hook of hooks.splice(0)) await hook().catch(() => undefined);
  await Promise.allSettled([...routers].map((r) => r.stop(5000)));
  routers.clear();
  await Promise.allSettled([...children].map((c) => stopChild(c)));
  await Promise.allSettled([...dirs].map((d) => rm(d, { recursive: true, force: true })));
  dirs.clear();
}

export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port}`);
    await sleep(25);
  }
}

// ---------------------------------------------------------------- nginx

const NGINX_BASE = (dir: string): string => `
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
  include ${dir}/site.conf;
}
`;

export interface Nginx {
  readonly child: ChildProcess;
  readonly dir: string;
  /** Rewrites site.conf and sends SIGHUP (a graceful reload). */
  reload(site: string): Promise<void>;
}

export async function startNginx(core: string, site: string, waitPorts: number[]): Promise<Nginx> {
  const dir = await tempDir('nginx');
  await writeFile(join(dir, 'nginx.conf'), NGINX_BASE(dir));
  await writeFile(join(dir, 'site.conf'), site);
  const child = startPinned(core, '/usr/sbin/nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir]);
  for (const port of waitPorts) await waitForPort(port);
  return {
    child,
    dir,
    async reload(next: string) {
      await writeFile(join(dir, 'site.conf'), next);
      // The master is the exec'd taskset child itself.
      process.kill(child.pid as number, 'SIGHUP');
    },
  };
}

/** Two tiny native upstreams (one nginx worker) answering `ok` to everything, on `core`. */
export async function startUpstreams(
  core: string,
): Promise<{ ports: [number, number]; pid: number }> {
  const a = await freePort();
  let b = await freePort();
  while (b === a) b = await freePort();
  const site = [a, b]
    .map(
      (port, i) => `server { listen 127.0.0.1:${port}; keepalive_timeout 60s;
  location / { default_type text/plain; return 200 "ok${i + 1}\\n"; } }`,
    )
    .join('\n');
  const nginx = await startNginx(core, site, [a, b]);
  return { ports: [a, b], pid: nginx.child.pid as number };
}

/** The machine's CPU time counters (/proc/stat, all cores), in clock ticks. */
export interface CpuCounters {
  readonly total: number;
  readonly steal: number;
}

export function cpuCounters(): CpuCounters {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is inside user)
  const total = fields.slice(0, 8).reduce((sum, n) => sum + n, 0);
  return { total, steal: fields[7] ?? 0 };
}

/** Share of the machine's CPU time the hypervisor gave to others between two readings, %. */
export function stealPercent(before: CpuCounters, after: CpuCounters): number {
  const total = after.total - before.total;
  return total > 0 ? (100 * (after.steal - before.steal)) / total : 0;
}

/** The direct children of a process (Linux /proc); none when it cannot be read. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** What `quietRounds` kept: each round's result, and the steal of the kept and the discarded rounds. */
export interface QuietRounds<T> {
  readonly results: T[];
  /** Steal (%) of each kept round. */
  readonly steal: number[];
  /** Steal (%) of each round that was run again. */
  readonly discarded: number[];
}

/**
 * Runs `rounds` rounds, measuring the host's CPU steal over each. A round
 * during which the host took more than `maxStealPercent` of the CPU time is
 * discarded and run again, at most `rounds` extra times in all; after that
 * every round is kept, whatever it met. Rounds stay interleaved: one round
 * runs every path once, so a discarded round loses no path's share.
 */
export async function quietRounds<T>(options: {
  readonly rounds: number;
  readonly maxStealPercent: number;
  readonly run: (round: number) => Promise<T>;
  readonly log: (line: string) => void;
}): Promise<QuietRounds<T>> {
  const kept: QuietRounds<T> = { results: [], steal: [], discarded: [] };
  let attempt = 0;
  while (kept.results.length < options.rounds) {
    attempt += 1;
    const before = cpuCounters();
    const result = await options.run(attempt);
    const steal = stealPercent(before, cpuCounters());
    const retriesLeft = kept.discarded.length < options.rounds;
    if (steal > options.maxStealPercent && retriesLeft) {
      kept.discarded.push(steal);
      options.log(
        `  round ${attempt}: the host took ${steal.toFixed(1)} % of the CPU time; discarded`,
      );
      continue;
    }
    kept.results.push(result);
    kept.steal.push(steal);
    options.log(`  round ${attempt}: the host took ${steal.toFixed(1)} % of the CPU time; kept`);
  }
  return kept;
}

/** Moves a running process, its threads and its direct children (nginx's worker) to `core`. */
export function pinProcessTree(pid: number, core: string): void {
  const children = childPids(pid);
  for (const target of [pid, ...children]) {
    execFileSync('taskset', ['-a', '-cp', core, String(target)], { stdio: 'ignore' });
  }
}

export function nginxProxySite(
  listen: number,
  upstreams: readonly number[],
  weights?: readonly number[],
): string {
  const servers = upstreams
    .map((p, i) => `  server 127.0.0.1:${p}${weights ? ` weight=${weights[i]}` : ''};`)
    .join('\n');
  return `upstream backends {
${servers}
  keepalive 32;
}
server {
  listen 127.0.0.1:${listen};
  keepalive_timeout 60s;
  location / {
    proxy_pass http://backends;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
  }
}`;
}

// ---------------------------------------------------------------- HAProxy

export interface HAProxy {
  readonly child: ChildProcess;
  readonly socket: string;
  command(line: string): Promise<string>;
}

export async function startHAProxy(
  core: string,
  listen: number,
  upstreams: readonly number[],
  weights?: readonly number[],
): Promise<HAProxy> {
  const dir = await tempDir('haproxy');
  const socket = join(dir, 'admin.sock');
  const servers = upstreams
    .map((p, i) => `  server s${i + 1} 127.0.0.1:${p} weight ${weights ? weights[i] : 1}`)
    .join('\n');
  const cfg = `global
  nbthread 1
  maxconn 4000
  stats socket ${socket} level admin
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 30s
  option http-keep-alive
frontend fe
  bind 127.0.0.1:${listen}
  default_backend be
backend be
  balance roundrobin
  http-reuse always
${servers}
`;
  await writeFile(join(dir, 'haproxy.cfg'), cfg);
  const child = startPinned(core, '/usr/sbin/haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')]);
  await waitForPort(listen);
  return {
    child,
    socket,
    command: (line) =>
      new Promise((resolve, reject) => {
        const conn = net.connect(socket);
        let out = '';
        conn.on('data', (d: Buffer) => (out += d.toString()));
        conn.on('end', () => resolve(out));
        conn.on('error', reject);
        conn.end(`${line}\n`);
      }),
  };
}

// ---------------------------------------------------------------- naive node proxy

export async function startNodeProxy(
  core: string,
  listen: number,
  upstreams: readonly number[],
): Promise<ChildProcess> {
  const child = startPinned(core, process.execPath, [
    join(BENCH_DIR, 'naive-proxy.ts'),
    String(listen),
    ...upstreams.map(String),
  ]);
  await waitForPort(listen);
  return child;
}

// ---------------------------------------------------------------- Switchyard

export const SERVICE = 'bench/default';

export function benchConfig(
  generation: number,
  listen: number,
  pools: readonly RouterPool[],
  drainTimeoutMs = 5000,
): RouterConfig {
  return {
    generation,
    services: [
      routerService({
        name: SERVICE,
        listen: { port: listen, host: '127.0.0.1' },
        pools,
        healthCheck: {
          path: '/healthz',
          intervalMs: 500,
          timeoutMs: 400,
          healthyThreshold: 1,
          unhealthyThreshold: 2,
        },
        drainTimeoutMs,
      }),
    ],
  };
}

export function pool(name: string, weight: number, ports: readonly number[]): RouterPool {
  return {
    name,
    weight,
    instances: ports.map((port) => ({ id: `${name}-${port}`, host: '127.0.0.1', port })),
  };
}

/** Switchyard's router as its own process (src/router/bin.ts), pinned to `core`. */
export async function startSwitchyard(core: string): Promise<RouterProcess & { stateDir: string }> {
  const stateDir = await tempDir('router');
  const router = await spawnRouter({ stateDir });
  routers.add(router);
  pinProcessTree(router.pid, core);
  return Object.assign(router, { stateDir });
}

export function trackRouter(router: RouterProcess): void {
  routers.add(router);
}

export async function configureSwitchyard(
  router: RouterProcess,
  config: RouterConfig,
): Promise<void> {
  await router.client.putConfig(config);
  const ids = config.services.flatMap((s) => s.pools.flatMap((p) => p.instances.map((i) => i.id)));
  await router.waitHealthy(SERVICE, ids, 10_000);
  const port = config.services[0]?.listen.port;
  if (port !== undefined) await waitForPort(port);
}

// ---------------------------------------------------------------- load

export interface WrkResult {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

export async function wrk(url: string, seconds: number, connections = 50): Promise<WrkResult> {
  const out = await onLoadCore('wrk', [
    'wrk',
    '-t1',
    `-c${connections}`,
    `-d${seconds}s`,
    '--latency',
    url,
  ]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50 = parseWrkLatency(/\s50%\s+([\d.]+\w+)/.exec(out)?.[1]);
  const p99 = parseWrkLatency(/\s99%\s+([\d.]+\w+)/.exec(out)?.[1]);
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const errors = non2xx + (errs ? errs.slice(1).reduce((s, v) => s + Number(v), 0) : 0);
  return { rps, p50Ms: p50, p99Ms: p99, errors };
}

/**
 * Runs `command` pinned to the load core, tracked for cleanup, and resolves
 * with its stdout once it exits 0 (its stderr goes to ours).
 */
function onLoadCore(name: string, command: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', ['-c', LOAD_CORE, ...command], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.add(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      children.delete(child);
      if (code !== 0) reject(new Error(`${name} exited ${code}: ${out}`));
      else resolve(out);
    });
  });
}

function parseWrkLatency(text: string | undefined): number {
  if (text === undefined) return NaN;
  const m = /([\d.]+)(us|ms|s|m)/.exec(text);
  if (!m) return NaN;
  const n = Number(m[1]);
  switch (m[2]) {
    case 'us':
      return n / 1000;
    case 'ms':
      return n;
    case 's':
      return n * 1000;
    default:
      return n * 60_000;
  }
}

export interface RateResult {
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  /** How late the generator itself sent (p99), ms: the machine's share of the latency. */
  readonly sendLagP99Ms: number;
}

/** Open-loop fixed-rate load (bench/fixed-rate.ts) in its own process on the load core. */
export async function fixedRate(url: string, rate: number, seconds: number): Promise<RateResult> {
  const out = await onLoadCore('fixed-rate', [
    process.execPath,
    join(BENCH_DIR, 'fixed-rate.ts'),
    url,
    String(rate),
    String(seconds),
  ]);
  return JSON.parse(out) as RateResult;
}

/** The value below which a share `p` of `values` lies (sorts them); NaN when empty. */
function percentile(values: number[], p: number): number {
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.floor(values.length * p))] ?? NaN;
}

/** One answer of an open-loop run, for a caller that looks inside (e.g. at the `version`). */
export interface OpenLoopAnswer {
  readonly status: number;
  readonly body: string;
  /** Epoch ms (performance.timeOrigin based, comparable with Date.now()) the request was due. */
  readonly dueAt: number;
  /** Epoch ms the whole response had arrived. */
  readonly at: number;
}

export interface OpenLoopOptions {
  readonly url: string;
  /** Requests per second, sent on schedule whatever the answers do (open loop). */
  readonly rate: number;
  /** Hard bound: no request is sent after this many seconds; `stop()` ends it sooner. */
  readonly maxSeconds: number;
  /**
   * Seconds at the same rate before `maxSeconds` begins that count for
   * nothing (default 0): they open the connections and warm the JIT, which
   * otherwise lands in p99. Their answers are not reported either.
   */
  readonly warmUpSeconds?: number;
  readonly connections?: number;
  /** Called with each response (its body read as text); without it bodies are discarded. */
  readonly onAnswer?: (answer: OpenLoopAnswer) => void;
  /** Called for each request that got no response (connection error, timeout). */
  readonly onError?: (error: Error, dueAt: number) => void;
}

export interface OpenLoop {
  /** Stops sending; `done` resolves once the stragglers are in (bounded, 5 s). */
  stop(): void;
  readonly done: Promise<RateResult>;
}

/**
 * Open-loop load at a fixed rate in this process: sends `rate` requests per
 * second (bounded by `maxSeconds` and `stop()`), measuring each latency from
 * the moment the request was due, so a stall is not hidden by coordinated
 * omission. It also measures how late it sent each request itself
 * (`sendLagP99Ms`): latency the machine adds to every path alike.
 * bench/fixed-rate.ts runs it in a process of its own on the load core.
 */
export function startOpenLoop(options: OpenLoopOptions): OpenLoop {
  const target = new URL(options.url);
  const path = `${target.pathname}${target.search}`;
  const pool = new Pool(target.origin, { connections: options.connections ?? 64, pipelining: 1 });
  const latencies: number[] = [];
  const sendLags: number[] = [];
  const warmUp = Math.round(options.rate * (options.warmUpSeconds ?? 0));
  const total = warmUp + Math.round(options.rate * options.maxSeconds);
  const intervalMs = 1000 / options.rate;
  const start = performance.now();
  const epoch = (t: number): number => performance.timeOrigin + t;
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let stopped = false;
  const fire = (dueAt: number, counted: boolean): void => {
    sent++;
    if (counted) sendLags.push(performance.now() - dueAt);
    pool.request({ method: 'GET', path }).then(
      async (response) => {
        const body = options.onAnswer && counted ? await response.body.text() : '';
        if (!(options.onAnswer && counted)) await response.body.dump();
        if (!counted) return;
        const at = performance.now();
        if (response.statusCode < 400) ok++;
        else failed++;
        latencies.push(at - dueAt);
        options.onAnswer?.({
          status: response.statusCode,
          body,
          dueAt: epoch(dueAt),
          at: epoch(at),
        });
      },
      (error: Error) => {
        if (!counted) return;
        failed++;
        options.onError?.(error, epoch(dueAt));
      },
    );
  };
  const done = (async (): Promise<RateResult> => {
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
        while (!stopped && sent < due) fire(start + sent * intervalMs, sent >= warmUp);
        if (stopped || sent >= total) return resolve();
        setTimeout(tick, 1);
      };
      tick();
    });
    // Wait (bounded) for the stragglers.
    const counted = Math.max(0, sent - warmUp);
    const deadline = performance.now() + 5000;
    while (ok + failed < counted && performance.now() < deadline) await sleep(10);
    await pool.destroy();
    return {
      sent: counted,
      ok,
      failed: counted - ok,
      p50Ms: percentile(latencies, 0.5),
      p90Ms: percentile(latencies, 0.9),
      p99Ms: percentile(latencies, 0.99),
      sendLagP99Ms: percentile(sendLags, 0.99),
    };
  })();
  return {
    stop: () => {
      stopped = true;
    },
    done,
  };
}

// ---------------------------------------------------------------- facts

export async function rssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

export function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * The one-sided 95% upper bound of a rate seen `k` times in `n` trials
 * (Clopper–Pearson, by bisection on the binomial tail). For k = 0 it is
 * 1 − 0.05^(1/n), which the rule of three approximates as 3/n.
 */
export function upperBound95(k: number, n: number): number {
  if (n <= 0) return 1;
  if (k >= n) return 1;
  const tailAtMost = (p: number): number => {
    let term = Math.pow(1 - p, n);
    let sum = term;
    for (let i = 1; i <= k; i++) {
      term *= ((n - i + 1) / i) * (p / (1 - p));
      sum += term;
    }
    return sum;
  };
  let low = k / n;
  let high = 1;
  for (let step = 0; step < 60; step++) {
    const mid = (low + high) / 2;
    if (tailAtMost(mid) > 0.05) low = mid;
    else high = mid;
  }
  return high;
}

/** Runs `main`, always cleaning up, also on Ctrl-C. */
export function runBench(main: () => Promise<void>): void {
  const onSignal = (): void => {
    void cleanup().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  main().then(
    async () => {
      await cleanup();
      process.exit(0);
    },
    async (error: unknown) => {
      process.stderr.write(
        `bench failed: ${error instanceof Error ? error.stack : String(error)}\n`,
      );
      await cleanup();
      process.exit(1);
    },
  );
}

export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && fileURLToPath(url) === process.argv[1];
}
