/**
 * Cutover: steady load while traffic moves between a "blue" and a "green"
 * upstream through Switchyard's router (admin putConfig weight switches, then
 * a drain of the old pool), HAProxy (runtime API `set weight`, no reload) and
 * nginx (a config reload per switch). Three switches each: a blue/green
 * promote, a canary (10 %) that aborts back, and a rollback. Prints the failed
 * requests per switch. Half the client loops reuse keep-alive connections,
 * half open a new connection per request.
 *   node bench/cutover.ts
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  LOAD_CORE,
  PROXY_CORE,
  SERVICE,
  benchConfig,
  configureSwitchyard,
  freePort,
  isMain,
  nginxProxySite,
  pool,
  runBench,
  startHAProxy,
  startNginx,
  startSwitchyard,
  startUpstreams,
} from './lib.ts';

export interface CutoverOptions {
  /** Load before and after each switch. */
  readonly settleMs: number;
  readonly concurrency: number;
  /** Pause between requests of one client loop, to keep the rate moderate. */
  readonly pauseMs: number;
  readonly log: (line: string) => void;
}

/** Weights of [blue, green] after each step of a switch. */
interface Step {
  readonly name: string;
  readonly weights: readonly (readonly [number, number])[];
}

const SWITCHES: readonly Step[] = [
  { name: 'promote (blue → green)', weights: [[0, 100]] },
  {
    name: 'canary 10 % then abort',
    weights: [
      [10, 90],
      [0, 100],
    ],
  },
  { name: 'rollback (green → blue)', weights: [[100, 0]] },
];

export interface CutoverRow {
  readonly proxy: string;
  readonly perSwitch: readonly {
    readonly name: string;
    readonly sent: number;
    readonly failed: number;
    readonly onNew: number;
    readonly reasons: string;
  }[];
}

export interface CutoverReport {
  readonly rows: readonly CutoverRow[];
  readonly markdown: string;
}

type Apply = (
  weights: readonly [number, number],
  previous: readonly [number, number],
) => Promise<void>;

export async function runCutover(options: CutoverOptions): Promise<CutoverReport> {
  const { ports } = await startUpstreams(LOAD_CORE);
  const [blue, green] = ports;
  const rows: CutoverRow[] = [];

  // Switchyard
  {
    const port = await freePort();
    const router = await startSwitchyard(PROXY_CORE);
    let generation = 1;
    const config = (w: readonly [number, number]) =>
      benchConfig(
        generation++,
        port,
        [pool('blue', w[0], [blue]), pool('green', w[1], [green])],
        5000,
      );
    await configureSwitchyard(router, config([100, 0]));
    const apply: Apply = async (w, prev) => {
      await router.client.putConfig(config(w));
      // The controller drains a pool that lost all its weight before stopping it.
      const drained = [
        ...(w[0] === 0 && prev[0] > 0 ? [`blue-${blue}`] : []),
        ...(w[1] === 0 && prev[1] > 0 ? [`green-${green}`] : []),
      ];
      if (drained.length > 0)
        await router.client.drain({ service: SERVICE, instanceIds: drained, timeoutMs: 5000 });
    };
    rows.push(await measure('Switchyard (admin API weights + drain)', port, apply, options));
  }

  // HAProxy: runtime API, no reload.
  {
    const port = await freePort();
    const ha = await startHAProxy(PROXY_CORE, port, [blue, green], [100, 0]);
    const apply: Apply = async (w, prev) => {
      // Raise the new weight first: never both at 0 between the two commands.
      const order = w[0] > prev[0] ? [1, 2] : [2, 1];
      for (const s of order) await ha.command(`set weight be/s${s} ${w[s - 1]}`);
    };
    rows.push(await measure('HAProxy (runtime API set weight)', port, apply, options));
  }

  // nginx: a reload per switch.
  {
    const port = await freePort();
    const site = (w: readonly [number, number]): string => {
      const servers = [blue, green].filter((_, i) => (w[i] as number) > 0);
      const weights = w.filter((x) => x > 0);
      return nginxProxySite(port, servers, weights);
    };
    const nginx = await startNginx(PROXY_CORE, site([100, 0]), [port]);
    const apply: Apply = async (w) => {
      await nginx.reload(site(w));
      await sleep(200);
    };
    rows.push(await measure('nginx (reload)', port, apply, options));
  }

  return { rows, markdown: toMarkdown(rows, options) };
}

async function measure(
  proxy: string,
  port: number,
  apply: Apply,
  options: CutoverOptions,
): Promise<CutoverRow> {
  const load = startCounting(port, options.concurrency, options.pauseMs);
  const perSwitch: CutoverRow['perSwitch'][number][] = [];
  let weights: readonly [number, number] = [100, 0];
  await sleep(options.settleMs);
  for (const step of SWITCHES) {
    const before = load.snapshot();
    for (const w of step.weights) {
      await apply(w, weights);
      weights = w;
      await sleep(options.settleMs / 2);
    }
    await sleep(options.settleMs / 2);
    const after = load.snapshot();
    const newName = weights[1] > 0 ? 'ok2' : 'ok1';
    // Share of the last stretch answered by the pool that should now take everything.
    perSwitch.push({
      name: step.name,
      sent: after.sent - before.sent,
      failed: after.failed - before.failed,
      reasons: Object.entries(after.reasons)
        .map(([k, v]) => `${k}×${v - (before.reasons[k] ?? 0)}`)
        .filter((x) => !x.endsWith('×0'))
        .join(', '),
      onNew:
        load.lastAnswers().filter((a) => a === newName).length /
        Math.max(1, load.lastAnswers().length),
    });
    options.log(
      `  ${proxy}: ${step.name}: ${after.sent - before.sent} requests, ${after.failed - before.failed} failed ${perSwitch.at(-1)?.reasons ?? ''}`,
    );
  }
  await load.stop();
  return { proxy, perSwitch };
}

interface Counting {
  snapshot(): { sent: number; failed: number; reasons: Record<string, number> };
  lastAnswers(): string[];
  stop(): Promise<void>;
}

/** Closed-loop counting client: half keep-alive loops, half a new connection per request. */
function startCounting(port: number, concurrency: number, pauseMs: number): Counting {
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const fresh = new http.Agent({ keepAlive: false });
  let sent = 0;
  let failed = 0;
  let stopped = false;
  const reasons = new Map<string, number>();
  const fail = (reason: string): void => {
    failed++;
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  };
  const recent: string[] = [];
  const one = (agent: http.Agent): Promise<void> =>
    new Promise((resolve) => {
      sent++;
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent, timeout: 5000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => {
          if ((res.statusCode ?? 0) >= 400) fail(`HTTP ${res.statusCode}`);
          else {
            recent.push(body.trim());
            if (recent.length > 200) recent.shift();
          }
          resolve();
        });
        res.on('error', (e: NodeJS.ErrnoException) => {
          fail(e.code ?? e.message);
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e: NodeJS.ErrnoException) => {
        fail(e.code ?? e.message);
        resolve();
      });
    });
  const loops = Array.from({ length: concurrency }, async (_, i) => {
    const agent = i % 2 === 0 ? keepAlive : fresh;
    while (!stopped) {
      await one(agent);
      await sleep(pauseMs);
    }
  });
  return {
    snapshot: () => ({ sent, failed, reasons: Object.fromEntries(reasons) }),
    lastAnswers: () => [...recent],
    async stop() {
      stopped = true;
      await Promise.all(loops);
      keepAlive.destroy();
      fresh.destroy();
    },
  };
}

function toMarkdown(rows: readonly CutoverRow[], options: CutoverOptions): string {
  const names = SWITCHES.map((s) => s.name);
  return [
    `${options.concurrency} closed-loop clients (half keep-alive, half a new connection per request) on core ${LOAD_CORE}; each switch has ${options.settleMs} ms of load before and after. Blue and green are one nginx upstream each. "on new" = share of the last 200 answers that came from the pool that should hold all traffic after the switch.`,
    '',
    `| proxy | ${names.map((n) => `${n}: failed / sent (on new)`).join(' | ')} |`,
    `|---|${names.map(() => '---:').join('|')}|`,
    ...rows.map(
      (r) =>
        `| ${r.proxy} | ${r.perSwitch.map((s) => `${s.failed} / ${s.sent} (${Math.round(s.onNew * 100)} %)${s.reasons ? ` ${s.reasons}` : ''}`).join(' | ')} |`,
    ),
  ].join('\n');
}

if (isMain(import.meta.url)) {
  runBench(async () => {
    const report = await runCutover({
      settleMs: 2000,
      concurrency: 16,
      pauseMs: 5,
      log: (l) => process.stdout.write(`${l}\n`),
    });
    process.stdout.write(`\n${report.markdown}\n`);
  });
}
