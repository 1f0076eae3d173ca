/**
 * Router throughput and latency: the same small keep-alive GET through
 * Switchyard's router, HAProxy, nginx and a naive node:http proxy, and straight
 * to an upstream. The proxies run on core 0; wrk, the fixed-rate generator and
 * the two upstreams (one nginx worker answering "ok") on core 1. Rounds are
 * interleaved so drift hits every row alike.
 *   node bench/router-throughput.ts [--rounds N] [--seconds S] [--rate R]
 * BENCH_BASELINE_SRC=/path/to/an/older/src adds a "switchyard (baseline)" row
 * started from that source tree, for before/after figures in the same run.
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
  const targets: { name: string; port: number }[] = [
    { name: 'direct (upstream)', port: upstreams[0] },
  ];

  const syPort = await freePort();
  const switchyard = await startSwitchyard(PROXY_CORE);
  await configureSwitchyard(switchyard, benchConfig(1, syPort, [pool('blue', 100, upstreams)]));
  targets.push({ name: 'Switchyard', port: syPort });

  const baselineSrc = process.env['BENCH_BASELINE_SRC'];
  if (baselineSrc) {
    const port = await freePort();
    const baseline = await startBaseline(baselineSrc);
    await baseline.client.putConfig(benchConfig(1, port, [pool('blue', 100, upstreams)]));
    await baseline.waitHealthy(
      'bench/default',
      upstreams.map((p) => `blue-${p}`),
      10_000,
    );
    targets.push({ name: 'Switchyard (baseline)', port });
  }

  const haPort = await freePort();
  await startHAProxy(PROXY_CORE, haPort, upstreams);
  targets.push({ name: 'HAProxy', port: haPort });

  const ngPort = await freePort();
  await startNginx(PROXY_CORE, nginxProxySite(ngPort, upstreams), [ngPort]);
  targets.push({ name: 'nginx', port: ngPort });

  const nodePort = await freePort();
  await startNodeProxy(PROXY_CORE, nodePort, upstreams);
  targets.push({ name: 'node:http proxy', port: nodePort });

  const idleRss = await rssKb(switchyard.pid);
  let loadRss = 0;

  // Warm up (JIT, pools) before anything counts.
  for (const t of targets) await wrk(`http://127.0.0.1:${t.port}/`, 1);

  const results = new Map<string, WrkResult[]>(targets.map((t) => [t.name, []]));
  for (let round = 1; round <= options.rounds; round++) {
    for (const t of targets) {
      const sampling =
        t.name === 'Switchyard'
          ? sleepThen(options.seconds * 500, () => rssKb(switchyard.pid))
          : Promise.resolve(0);
      const r = await wrk(`http://127.0.0.1:${t.port}/`, options.seconds);
      loadRss = Math.max(loadRss, await sampling);
      (results.get(t.name) as WrkResult[]).push(r);
      log(
        `  round ${round} ${t.name.padEnd(22)} ${fmt(r.rps).padStart(7)} req/s  p50 ${fmt(r.p50Ms, 2)} ms  p99 ${fmt(r.p99Ms, 2)} ms${r.errors ? `  errors ${r.errors}` : ''}`,
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
      fixed: fixed.get(t.name),
    };
  });
  return {
    rows,
    markdown: toMarkdown(rows, options),
    switchyardRssKb: { idle: idleRss, load: loadRss },
  };
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
  for (const ref of ['HAProxy', 'nginx', 'node:http proxy', 'Switchyard (baseline)']) {
    const r = byName(rows, ref);
    if (r) lines.push(`Switchyard / ${ref}: **${fmt(sy.rps / r.rps, 2)}×** requests/s`);
  }
  const base = byName(rows, 'Switchyard (baseline)');
  const ha = byName(rows, 'HAProxy');
  if (base && ha)
    lines.push(
      `Before/after against HAProxy in this run: baseline ${fmt(base.rps / ha.rps, 2)}× → now ${fmt(sy.rps / ha.rps, 2)}×`,
    );
  return lines;
}

function toMarkdown(rows: readonly ThroughputRow[], options: ThroughputOptions): string {
  const direct = byName(rows, 'direct (upstream)');
  const out = [
    `Small GET (\`ok\`, 2-3 bytes of body) over keep-alive; \`taskset -c ${LOAD_CORE} wrk -t1 -c50 -d${options.seconds}s --latency\`; proxies pinned to core ${PROXY_CORE}, wrk and both upstreams (one nginx worker, \`return 200\`) on core ${LOAD_CORE}. ${options.rounds} interleaved rounds; the table shows the median round. Direct = wrk straight to one upstream.`,
    '',
    '| path | requests/s | p50 ms | p99 ms | errors | rounds (req/s) |',
    '|---|---:|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${fmt(r.rps)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${r.errors} | ${r.rounds.map((n) => fmt(n)).join(', ')} |`,
    ),
    '',
    ...ratioLines(rows).map((l) => `- ${l}`),
    '',
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
