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
  pinProcessTree,
  childPids,
  quietRounds,
  type QuietRounds,
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
import { readFileSync } from 'node:fs';
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
      rounds: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '5' },
      rate: { type: 'string', default: '5000' },
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
  readonly fixed?: FixedRateSummary;
}

/** The fixed-rate rounds of one path: medians over rounds, and p99 added vs direct in the same round. */
export interface FixedRateSummary {
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  /** Median over rounds of (this path's p90 − the direct path's p90 in the same round); NaN for direct. */
  readonly addedP90Ms: number;
  /** Median over rounds of (this path's p99 − the direct path's p99 in the same round); NaN for direct. */
  readonly addedP99Ms: number;
  readonly sendLagP99Ms: number;
  readonly failed: number;
  readonly sent: number;
  /** p99 of each round, ms. */
  readonly roundsP99Ms: readonly number[];
}

export interface ThroughputReport {
  readonly rows: readonly ThroughputRow[];
  readonly markdown: string;
  readonly switchyardRssKb: { readonly idle: number; readonly load: number };
}

export async function runThroughput(options: ThroughputOptions): Promise<ThroughputReport> {
  const { log } = options;
  const { ports: upstreams, pid: upstreamPid } = await startUpstreams(LOAD_CORE);
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

  const roundOptions = { rounds: options.rounds, maxStealPercent: MAX_STEAL_PERCENT, log };
  // One wrk round: every path once, in order.
  const wrkRound = async (round: number) => {
    const measured = new Map<string, { result: WrkResult; usPerRequest: number }>();
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
      measured.set(t.name, { result: r, usPerRequest });
      log(
        `  round ${round} ${t.name.padEnd(22)} ${fmt(r.rps).padStart(7)} req/s  p50 ${fmt(r.p50Ms, 2)} ms  p99 ${fmt(r.p99Ms, 2)} ms${Number.isNaN(usPerRequest) ? '' : `  ${fmt(usPerRequest, 1)} µs CPU/req`}${r.errors ? `  errors ${r.errors}` : ''}`,
      );
    }
    return measured;
  };
  const wrkRounds = await quietRounds({ ...roundOptions, run: wrkRound });
  const wrkByPath = perPath(wrkRounds.results);
  const results = mapValues(wrkByPath, (rounds) => rounds.map((r) => r.result));
  const cpu = mapValues(wrkByPath, (rounds) => rounds.map((r) => r.usPerRequest));

  // Fixed-rate latency, interleaved like the wrk rounds, so each path's p99 is
  // compared with the direct path's in the same round. At a moderate rate the
  // proxy core has room for the upstreams; moved there, they leave the load
  // core to the generator alone, whose own lateness otherwise fills the p99.
  pinProcessTree(upstreamPid, PROXY_CORE);
  const fixedRound = async (round: number) => {
    const measured = new Map<string, RateResult>();
    for (const t of targets) {
      const r = await fixedRate(`http://127.0.0.1:${t.port}/`, options.rate, options.rateSeconds);
      measured.set(t.name, r);
      log(
        `  round ${round} ${options.rate} req/s ${t.name.padEnd(22)} p50 ${fmt(r.p50Ms, 2)} ms  p90 ${fmt(r.p90Ms, 2)} ms  p99 ${fmt(r.p99Ms, 2)} ms  generator lag p99 ${fmt(r.sendLagP99Ms, 2)} ms  failed ${r.failed}/${r.sent}`,
      );
    }
    return measured;
  };
  const fixedKept = await quietRounds({ ...roundOptions, run: fixedRound });
  const fixed = summarizeFixedRate(perPath(fixedKept.results), targets[0]!.name);
  const steal = { wrk: wrkRounds, fixed: fixedKept };

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
    markdown: toMarkdown(rows, options, steal),
    switchyardRssKb: { idle: idleRss, load: loadRss },
  };
}

/** Rounds of per-path results → each path's results, round by round. */
function perPath<T>(rounds: readonly ReadonlyMap<string, T>[]): Map<string, T[]> {
  const byPath = new Map<string, T[]>();
  for (const round of rounds) {
    for (const [name, result] of round) byPath.set(name, [...(byPath.get(name) ?? []), result]);
  }
  return byPath;
}

function mapValues<T, U>(map: ReadonlyMap<string, T>, f: (value: T) => U): Map<string, U> {
  return new Map([...map].map(([key, value]) => [key, f(value)]));
}

function summarizeFixedRate(
  rounds: ReadonlyMap<string, readonly RateResult[]>,
  directName: string,
): Map<string, FixedRateSummary> {
  const direct = rounds.get(directName) ?? [];
  const summary = new Map<string, FixedRateSummary>();
  for (const [name, rs] of rounds) {
    summary.set(name, {
      p50Ms: median(rs.map((r) => r.p50Ms)),
      p90Ms: median(rs.map((r) => r.p90Ms)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      addedP90Ms:
        name === directName ? NaN : median(rs.map((r, i) => r.p90Ms - (direct[i]?.p90Ms ?? NaN))),
      addedP99Ms:
        name === directName ? NaN : median(rs.map((r, i) => r.p99Ms - (direct[i]?.p99Ms ?? NaN))),
      sendLagP99Ms: median(rs.map((r) => r.sendLagP99Ms)),
      failed: rs.reduce((s, r) => s + r.failed, 0),
      sent: rs.reduce((s, r) => s + r.sent, 0),
      roundsP99Ms: rs.map((r) => r.p99Ms),
    });
  }
  return summary;
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
  let ticks = 0;
  for (const p of [pid, ...childPids(pid)]) {
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
  pinProcessTree(router.pid, PROXY_CORE);
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

/** Per part, the share of CPU time the hypervisor gave to other machines in each round, %. */
interface StealByPart {
  readonly wrk: Pick<QuietRounds<unknown>, 'steal' | 'discarded'>;
  readonly fixed: Pick<QuietRounds<unknown>, 'steal' | 'discarded'>;
}

/** A round during which the host took more of the CPU than this is run again (bench/lib.ts quietRounds). */
const MAX_STEAL_PERCENT = 10;

function stealLine(what: string, rounds: StealByPart['wrk']): string {
  const percents = (values: readonly number[]) => values.map((p) => `${fmt(p, 1)} %`).join(', ');
  const discarded =
    rounds.discarded.length === 0
      ? 'none was run again'
      : `${rounds.discarded.length} round(s) were discarded and run again (steal ${percents(rounds.discarded)})`;
  return `CPU time taken by the host (steal) during ${what}, per kept round: ${percents(rounds.steal)}; a round over ${MAX_STEAL_PERCENT} % is run again (at most as many times as there are rounds): ${discarded}. Steal is time the hypervisor gave to other machines while this one wanted it: a round with much of it is slower for every path, and not alike, since a proxy that gets less done per wake-up also spends more CPU per request.`;
}

function toMarkdown(
  rows: readonly ThroughputRow[],
  options: ThroughputOptions,
  steal: StealByPart,
): string {
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
    stealLine('the wrk rounds', steal.wrk),
    '',
    ...beforeAfter(rows),
    `Latency at a fixed ${options.rate} req/s (open loop, undici alone on core ${LOAD_CORE}, the upstreams moved to core ${PROXY_CORE} beside the proxy for this part; ${options.rounds} interleaved rounds of ${options.rateSeconds} s after 1 s of warm-up; latency counted from when each request was due). Medians over the rounds; "added" is the median over rounds of the path's percentile minus the direct path's in the same round. "generator lag" is how late the generator itself sent (p99): the machine's share, in every row alike.`,
    '',
    '| path | p50 ms | p90 ms | p99 ms | p90 added vs direct ms | p99 added vs direct ms | generator lag p99 ms | failed | p99 per round ms |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map((r) => {
      const f = r.fixed;
      const added = (ms: number | undefined) =>
        ms === undefined || Number.isNaN(ms) ? '—' : fmt(ms, 2);
      return `| ${r.name} | ${fmt(f?.p50Ms ?? NaN, 2)} | ${fmt(f?.p90Ms ?? NaN, 2)} | ${fmt(f?.p99Ms ?? NaN, 2)} | ${added(f?.addedP90Ms)} | ${added(f?.addedP99Ms)} | ${fmt(f?.sendLagP99Ms ?? NaN, 2)} | ${f ? `${f.failed}/${f.sent}` : 'n/a'} | ${f ? f.roundsP99Ms.map((p) => fmt(p, 1)).join(', ') : ''} |`;
    }),
    '',
    stealLine('the fixed-rate rounds', steal.fixed),
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
