/**
 * Router throughput and latency: the same small keep-alive GET through
 * Switchyard's router, HAProxy, nginx and a naive node:http proxy, and straight
 * to an upstream. The proxies run on core 0; wrk, the fixed-rate generator and
 * the two upstreams (one nginx worker answering "ok") on core 1. Rounds are
 * interleaved so drift hits every row alike. Besides requests/s and latency,
 * each proxy's CPU time per request (utime + stime of its processes over the
 * round), which a busy shared machine disturbs far less than requests/s.
 *   node bench/router-throughput.ts [--rounds N] [--seconds S] [--rate R]
 * BENCH_BASELINE_SRC=/path/to/an/older/src adds a "Switchyard (baseline)" row
 * started from that source tree, for before/after figures in the same run;
 * several as `label=/path/src,label=/path/src` give one row each, in order
 * ("Switchyard (label)").
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  LOAD_CORE,
  PROXY_CORE,
  benchConfig,
  configureSwitchyard,
  fixedRate,
  fmt,
  freePort,
  isMain,
  median,
  nginxProxySite,
  pool,
  runBench,
  startHAProxy,
  startNginx,
  startNodeProxy,
  startSwitchyard,
  startUpstreams,
  wrk,
  rssKb,
  type RateResult,
  type WrkResult,
} from './lib.ts';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import type { RouterProcess } from '../src/router/spawn-router.ts';
import type * as SpawnRouterModule from '../src/router/spawn-router.ts';

export interface ThroughputOptions {
  readonly rounds: number;
  readonly seconds: number;
  readonly rate: number;
  readonly rateSeconds: number;
  readonly log: (line: string) => void;
}

/** `--rounds N --seconds S --rate R` from the command line (bench/run.ts takes the same). */
export function throughputOptionsFromArgs(log: (line: string) => void): ThroughputOptions {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '5' },
      rate: { type: 'string', default: '3000' },
    },
  });
  return {
    rounds: Number(values.rounds),
    seconds: Number(values.seconds),
    rate: Number(values.rate),
    rateSeconds: 5,
    log,
  };
}

export interface ThroughputRow {
  readonly name: string;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly rounds: readonly number[];
  /** Median CPU time of the proxy's processes per request, µs (NaN for the direct path). */
  readonly cpuUsPerRequest: number;
  readonly fixed?: RateResult;
}

export interface ThroughputReport {
  readonly rows: readonly ThroughputRow[];
  readonly markdown: string;
  readonly switchyardRssKb: { readonly idle: number; readonly load: number };
}

export async function runThroughput(options: ThroughputOptions): Promise<ThroughputReport> {
  const { log } = options;
  const { ports: upstreams } = await startUpstreams(LOAD_CORE);
  // `pid`: the proxy's process (with its children), whose CPU time is counted.
  const targets: { name: string; port: number; pid?: number }[] = [
    { name: 'direct (upstream)', port: upstreams[0] },
  ];

  const syPort = await freePort();
  const switchyard = await startSwitchyard(PROXY_CORE);
  await configureSwitchyard(switchyard, benchConfig(1, syPort, [pool('blue', 100, upstreams)]));
  targets.push({ name: 'Switchyard', port: syPort, pid: switchyard.pid });

  for (const baseline of baselinesFromEnv()) {
    const port = await freePort();
    const router = await startBaseline(baseline.src);
    await router.client.putConfig(benchConfig(1, port, [pool('blue', 100, upstreams)]));
    await router.waitHealthy(
      'bench/default',
      upstreams.map((p) => `blue-${p}`),
      10_000,
    );
    targets.push({ name: baseline.name, port, pid: router.pid });
  }

  const haPort = await freePort();
  const haproxy = await startHAProxy(PROXY_CORE, haPort, upstreams);
  targets.push({ name: 'HAProxy', port: haPort, pid: haproxy.child.pid });

  const ngPort = await freePort();
  const nginx = await startNginx(PROXY_CORE, nginxProxySite(ngPort, upstreams), [ngPort]);
  targets.push({ name: 'nginx', port: ngPort, pid: nginx.child.pid });

  const nodePort = await freePort();
  const nodeProxy = await startNodeProxy(PROXY_CORE, nodePort, upstreams);
  targets.push({ name: 'node:http proxy', port: nodePort, pid: nodeProxy.pid });

  const idleRss = await rssKb(switchyard.pid);
  let loadRss = 0;

  // Warm up (JIT, pools) before anything counts.
  for (const t of targets) await wrk(`http://127.0.0.1:${t.port}/`, 1);

  const results = new Map<string, WrkResult[]>(targets.map((t) => [t.name, []]));
  const cpu = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  for (let round = 1; round <= options.rounds; round++) {
    for (const t of targets) {
      const sampling =
        t.name === 'Switchyard'
          ? sleepThen(options.seconds * 500, () => rssKb(switchyard.pid))
          : Promise.resolve(0);
      const ticksBefore = t.pid === undefined ? 0 : cpuTicks(t.pid);
      const r = await wrk(`http://127.0.0.1:${t.port}/`, options.seconds);
      const usPerRequest =
        t.pid === undefined
          ? NaN
          : ((cpuTicks(t.pid) - ticksBefore) * (1e6 / CLOCK_TICKS)) / (r.rps * options.seconds);
      loadRss = Math.max(loadRss, await sampling);
      (results.get(t.name) as WrkResult[]).push(r);
      (cpu.get(t.name) as number[]).push(usPerRequest);
      log(
        `  round ${round} ${t.name.padEnd(22)} ${fmt(r.rps).padStart(7)} req/s  p50 ${fmt(r.p50Ms, 2)} ms  p99 ${fmt(r.p99Ms, 2)} ms${Number.isNaN(usPerRequest) ? '' : `  ${fmt(usPerRequest, 1)} µs CPU/req`}${r.errors ? `  errors ${r.errors}` : ''}`,
      );
    }
  }

  const fixed = new Map<string, RateResult>();
  for (const t of targets) {
    const r = await fixedRate(`http://127.0.0.1:${t.port}/`, options.rate, options.rateSeconds);
    fixed.set(t.name, r);
    log(
      `  ${options.rate} req/s ${t.name.padEnd(22)} p50 ${fmt(r.p50Ms, 2)} ms  p99 ${fmt(r.p99Ms, 2)} ms  failed ${r.failed}/${r.sent}`,
    );
  }

  const rows: ThroughputRow[] = targets.map((t) => {
    const rs = results.get(t.name) as WrkResult[];
    return {
      name: t.name,
      rps: median(rs.map((r) => r.rps)),
      p50Ms: median(rs.map((r) => r.p50Ms)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      errors: rs.reduce((s, r) => s + r.errors, 0),
      rounds: rs.map((r) => r.rps),
      cpuUsPerRequest: t.pid === undefined ? NaN : median(cpu.get(t.name) as number[]),
      fixed: fixed.get(t.name),
    };
  });
  return {
    rows,
    markdown: toMarkdown(rows, options),
    switchyardRssKb: { idle: idleRss, load: loadRss },
  };
}

/** BENCH_BASELINE_SRC: `path` or `label=path`, comma-separated; rows in that order. */
function baselinesFromEnv(): { name: string; src: string }[] {
  const value = process.env['BENCH_BASELINE_SRC'];
  if (!value) return [];
  return value.split(',').map((entry) => {
    const eq = entry.indexOf('=');
    return eq < 0
      ? { name: 'Switchyard (baseline)', src: entry }
      : { name: `Switchyard (${entry.slice(0, eq)})`, src: entry.slice(eq + 1) };
  });
}

const CLOCK_TICKS =
  Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** utime + stime, in clock ticks, of `pid` and its direct children (nginx's worker). */
function cpuTicks(pid: number): number {
  const pids = [pid];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat !== null && Number(stat[1]) === pid) pids.push(Number(entry));
  }
  let ticks = 0;
  for (const p of pids) {
    const stat = procStat(p);
    if (stat !== null) ticks += Number(stat[11]) + Number(stat[12]);
  }
  return ticks;
}

/** The fields of /proc/PID/stat after the command name (state, ppid, ...), or null if gone. */
function procStat(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

async function startBaseline(src: string): Promise<RouterProcess> {
  const mod = (await import(
    pathToFileURL(join(src, 'router/spawn-router.ts')).href
  )) as typeof SpawnRouterModule;
  const { tempDir, trackRouter } = await import('./lib.ts');
  const router = await mod.spawnRouter({ stateDir: await tempDir('baseline') });
  trackRouter(router);
  execFileSync('taskset', ['-a', '-cp', PROXY_CORE, String(router.pid)], { stdio: 'ignore' });
  return router;
}

async function sleepThen<T>(ms: number, f: () => Promise<T>): Promise<T> {
  await new Promise((r) => setTimeout(r, ms));
  return f();
}

function byName(rows: readonly ThroughputRow[], name: string): ThroughputRow | undefined {
  return rows.find((r) => r.name === name);
}

export function ratioLines(rows: readonly ThroughputRow[]): string[] {
  const sy = byName(rows, 'Switchyard');
  const lines: string[] = [];
  if (!sy) return lines;
  for (const ref of ['HAProxy', 'nginx', 'node:http proxy']) {
    const r = byName(rows, ref);
    if (r) lines.push(`Switchyard / ${ref}: **${fmt(sy.rps / r.rps, 2)}×** requests/s`);
  }
  const ha = byName(rows, 'HAProxy');
  if (ha && !Number.isNaN(sy.cpuUsPerRequest))
    lines.push(
      `CPU per request: Switchyard ${fmt(sy.cpuUsPerRequest, 1)} µs, HAProxy ${fmt(ha.cpuUsPerRequest, 1)} µs (**${fmt(ha.cpuUsPerRequest / sy.cpuUsPerRequest, 2)}×** HAProxy's efficiency)`,
    );
  return lines;
}

/** Each Switchyard row (baselines first, then this tree) against the references of the same run. */
function beforeAfter(rows: readonly ThroughputRow[]): string[] {
  const versions = rows.filter((r) => r.name.startsWith('Switchyard'));
  const ha = byName(rows, 'HAProxy');
  const node = byName(rows, 'node:http proxy');
  if (versions.length < 2 || !ha || !node) return [];
  const ordered = [...versions.slice(1), versions[0] as ThroughputRow];
  return [
    'Before/after in this run (each Switchyard tree against the references of the same rounds):',
    '',
    '| tree | requests/s | ÷ HAProxy | ÷ node:http proxy | p99 ms | p99 ÷ HAProxy p99 | CPU µs/req |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...ordered.map(
      (r) =>
        `| ${r.name} | ${fmt(r.rps)} | ${fmt(r.rps / ha.rps, 2)}× | ${fmt(r.rps / node.rps, 2)}× | ${fmt(r.p99Ms, 2)} | ${fmt(r.p99Ms / ha.p99Ms, 2)}× | ${fmt(r.cpuUsPerRequest, 1)} |`,
    ),
    '',
  ];
}

function toMarkdown(rows: readonly ThroughputRow[], options: ThroughputOptions): string {
  const direct = byName(rows, 'direct (upstream)');
  const out = [
    `Small GET (\`ok\`, 2-3 bytes of body) over keep-alive; \`taskset -c ${LOAD_CORE} wrk -t1 -c50 -d${options.seconds}s --latency\`; proxies pinned to core ${PROXY_CORE}, wrk and both upstreams (one nginx worker, \`return 200\`) on core ${LOAD_CORE}. ${options.rounds} interleaved rounds; the table shows the median round. Direct = wrk straight to one upstream.`,
    '',
    '| path | requests/s | p50 ms | p99 ms | CPU µs/req | errors | rounds (req/s) |',
    '|---|---:|---:|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${fmt(r.rps)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${Number.isNaN(r.cpuUsPerRequest) ? '—' : fmt(r.cpuUsPerRequest, 1)} | ${r.errors} | ${r.rounds.map((n) => fmt(n)).join(', ')} |`,
    ),
    '',
    ...ratioLines(rows).map((l) => `- ${l}`),
    '',
    'CPU µs/req: utime + stime of the proxy (its processes) over a round, divided by the requests it served; the median round. Requests/s measure a core shared with whatever else the machine runs; CPU per request is what the proxy itself spends, and moves far less from round to round.',
    '',
    ...beforeAfter(rows),
    `Latency at a fixed ${options.rate} req/s (open loop, undici on core ${LOAD_CORE}, ${options.rateSeconds} s each, latency counted from when each request was due):`,
    '',
    '| path | p50 ms | p99 ms | p99 added vs direct ms | failed |',
    '|---|---:|---:|---:|---:|',
    ...rows.map((r) => {
      const f = r.fixed;
      const added = f && direct?.fixed ? f.p99Ms - direct.fixed.p99Ms : NaN;
      return `| ${r.name} | ${fmt(f?.p50Ms ?? NaN, 2)} | ${fmt(f?.p99Ms ?? NaN, 2)} | ${r.name.startsWith('direct') ? '—' : fmt(added, 2)} | ${f ? `${f.failed}/${f.sent}` : 'n/a'} |`;
    }),
  ];
  return out.join('\n');
}

if (isMain(import.meta.url)) {
  const options = throughputOptionsFromArgs((l) => process.stdout.write(`${l}\n`));
  runBench(async () => {
    const report = await runThroughput(options);
    process.stdout.write(`\n${report.markdown}\n`);
  });
}
