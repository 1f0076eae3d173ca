/**
 * Canary analysis on real parts: how long a canary that fails 20% of its
 * requests takes traffic, and how often a healthy canary is aborted anyway.
 *
 * A router process, a Controller in this process (50 ms tick, like the
 * system tests), the process runtime and the test app
 * (test/fixtures/apps/http-app.mjs; FAIL_RATE=0.2 answers 500 on exactly
 * every 5th GET /, with the same `{version}` body). Each service ("lane")
 * has 2 replicas of v1 and its own open-loop load at a fixed rate through
 * the router's listener (lib.ts `startOpenLoop`), plain GETs without the
 * sticky cookie; every answer's `version` is noted.
 *
 * 1. Detection: per lane, rounds of a canary with FAIL_RATE=0.2 under
 *    `steps: [setWeight 20, pause 10m]` with the background comparison
 *    `vsStable: { interval: 1s, count: 1, metrics: [compareWithStable: {}] }`
 *    at 50 and at 200 req/s (and, for reference, the same template with
 *    `inconclusiveLimit: 1000`, so that thin intervals do not end the run).
 *    t0 = arrival of the first answer (any status) from the canary's version;
 *    t1 = arrival of the last one. The rollout ends only once the canary's
 *    instances are gone, so after that no answer from it can come: t1 is when
 *    100% of the traffic the clients saw was back on stable (the router's
 *    config switch, polled every 50 ms, and the analysis verdict are shown
 *    beside it). A canary still taking traffic DETECT_CAP_S after t0 is
 *    aborted by hand and counted as not detected.
 * 2. False aborts: healthy canaries (the same app as stable, no FAIL_RATE)
 *    under `setWeight 20, pause 20s, setWeight 50, pause 10s` with the same
 *    background comparison (every other lane with the reference template),
 *    lanes side by side at 200 req/s each, until the round count or the time
 *    budget is reached. A rollout paused by an inconclusive background run
 *    waits for a person: the bench aborts it at once and counts it apart.
 *
 *   npm exec -- node bench/canary-detection.ts
 * Environment (all optional):
 *   CANARY_ROUNDS=5           bad canaries per rate and template
 *   CANARY_HEALTHY_ROUNDS=20  healthy canaries in all (bounded by the budget)
 *   CANARY_HEALTHY_LANES=4    services running healthy canaries side by side
 *   CANARY_BUDGET_S=240       the whole benchmark, setup included
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Controller } from '../src/controller/controller.ts';
import { MEASUREMENT_EVENT, VERDICT_EVENT } from '../src/controller/analysis-runner.ts';
import { rolloutData } from '../src/controller/rollout-data.ts';
import { Reason } from '../src/rollout/reasons.ts';
import { ProcessRuntime } from '../src/runtime/process/process-runtime.ts';
import { stopRecordedProcesses } from '../src/runtime/process/stop-recorded.ts';
import { parseSpec, type ResolvedSpec } from '../src/spec/index.ts';
import { openStateStore } from '../src/state/open-state-store.ts';
import { isFinal } from '../src/state/index.ts';
import type { Rollout, ServiceEnv, StateStore, StoredEvent } from '../src/state/store.ts';
import type { RouterProcess } from '../src/router/spawn-router.ts';
import { spawnRouter } from '../src/router/spawn-router.ts';
import { httpAppCommand } from '../test/support/apps.ts';
import { worldSpecText } from '../test/support/world-spec.ts';
import {
  fmt,
  freePort,
  isMain,
  median,
  onCleanup,
  runBench,
  startOpenLoop,
  tempDir,
  trackRouter,
  upperBound95,
  type OpenLoop,
  type OpenLoopAnswer,
} from './lib.ts';

/** A bad canary still taking traffic this long after t0 is aborted by hand ("not detected"). */
const DETECT_CAP_S = 10;
/** A healthy canary's steps last 30 s; one that has not ended after this is aborted by hand. */
const HEALTHY_CAP_S = 75;
/** A healthy round is started only if this much of the budget is left. */
const HEALTHY_ROUND_S = 38;
const HEALTHY_RATE = 200;
const POLL_MS = 50;

/** The template the issue asks for, and a reference that thin intervals cannot end. */
type Template = 'vsStable' | 'vsStablePatient';
const TEMPLATES = [
  'analysis:',
  '  templates:',
  '    vsStable: { interval: 1s, count: 1, metrics: [ { compareWithStable: {} } ] }',
  '    vsStablePatient: { interval: 1s, count: 1, inconclusiveLimit: 1000, metrics: [ { compareWithStable: {} } ] }',
].join('\n');
const FIRST_STRATEGY = '{ canary: { steps: [ { setWeight: 50 } ] } }';
const badStrategy = (template: Template): string =>
  `{ canary: { analysis: { templates: [${template}] }, steps: [ { setWeight: 20 }, { pause: 10m } ] } }`;
const healthyStrategy = (template: Template): string =>
  `{ canary: { analysis: { templates: [${template}] }, steps: [ { setWeight: 20 }, { pause: 20s }, { setWeight: 50 }, { pause: 10s } ] } }`;

interface BadPlan {
  readonly rate: number;
  readonly template: Template;
}
const BAD_PLANS: readonly BadPlan[] = [
  { rate: 50, template: 'vsStable' },
  { rate: 200, template: 'vsStable' },
  { rate: 50, template: 'vsStablePatient' },
  { rate: 200, template: 'vsStablePatient' },
];
const healthyTemplate = (lane: number): Template =>
  lane % 2 === 0 ? 'vsStable' : 'vsStablePatient';

export interface CanaryOptions {
  readonly badRounds: number;
  readonly healthyRounds: number;
  readonly healthyLanes: number;
  readonly budgetS: number;
  readonly log: (line: string) => void;
}

export function canaryOptionsFromEnv(log: (line: string) => void): CanaryOptions {
  const number = (name: string, fallback: number): number => {
    const value = Number(process.env[name] ?? fallback);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number ≥ 0`);
    return value;
  };
  return {
    badRounds: Math.round(number('CANARY_ROUNDS', 5)),
    healthyRounds: Math.round(number('CANARY_HEALTHY_ROUNDS', 20)),
    healthyLanes: Math.max(1, Math.round(number('CANARY_HEALTHY_LANES', 4))),
    budgetS: number('CANARY_BUDGET_S', 240),
    log,
  };
}

// ---------------------------------------------------------------- answers by version

interface VersionSeen {
  /** Epoch ms of the first and the last answer from the version. */
  first: number;
  last: number;
  answers: number;
  status500: number;
}

/** Every answer of a lane's load, by the `version` in its body. */
class Answers {
  readonly byVersion = new Map<string, VersionSeen>();
  /** Failures that did not come from the app (no `version`): router errors, resets. */
  readonly other = new Map<string, number>();

  record = (answer: OpenLoopAnswer): void => {
    let version: string | undefined;
    try {
      version = (JSON.parse(answer.body) as { version?: string }).version;
    } catch {
      version = undefined;
    }
    if (version === undefined) {
      this.#other(`HTTP ${answer.status}`);
      return;
    }
    const seen = this.byVersion.get(version);
    if (seen === undefined) {
      this.byVersion.set(version, {
        first: answer.at,
        last: answer.at,
        answers: 1,
        status500: answer.status >= 500 ? 1 : 0,
      });
      return;
    }
    seen.first = Math.min(seen.first, answer.at);
    seen.last = Math.max(seen.last, answer.at);
    seen.answers++;
    if (answer.status >= 500) seen.status500++;
  };

  error = (error: Error): void => {
    this.#other((error as NodeJS.ErrnoException).code ?? error.message);
  };

  otherCount(): number {
    return [...this.other.values()].reduce((sum, n) => sum + n, 0);
  }

  #other(what: string): void {
    this.other.set(what, (this.other.get(what) ?? 0) + 1);
  }
}

// ---------------------------------------------------------------- the world

interface Lane {
  readonly index: number;
  readonly key: ServiceEnv;
  readonly routerName: string;
  readonly listen: number;
  readonly preview: number;
  readonly answers: Answers;
  load: OpenLoop | null;
  loads: Promise<unknown>[];
}

interface World {
  readonly router: RouterProcess;
  readonly store: StateStore;
  readonly controller: Controller;
  readonly deadline: number;
}

async function createWorld(deadline: number): Promise<World> {
  const stateDir = await tempDir('canary');
  const router = await spawnRouter({ stateDir });
  trackRouter(router);
  const store = openStateStore({ dir: stateDir });
  const runtime = new ProcessRuntime({ stateDir });
  const controller = new Controller({
    store,
    stateDir,
    router: router.client,
    runtimeFor: () => runtime,
    holderId: 'bench-canary',
    tickMs: 50,
  });
  // Before the router stops: the controller, then every instance the store holds, by its record.
  onCleanup(async () => {
    await controller.stop();
    const records = store.listInstances().map((instance) => instance.record);
    await stopRecordedProcesses(runtime, records, { timeoutMs: 2000 });
    store.close();
  });
  await controller.start();
  return { router, store, controller, deadline };
}

async function createLane(index: number): Promise<Lane> {
  const listen = await freePort();
  let preview = await freePort();
  while (preview === listen) preview = await freePort();
  const key = { service: `canary${index}`, environment: 'default' };
  return {
    index,
    key,
    routerName: `${key.service}/${key.environment}`,
    listen,
    preview,
    answers: new Answers(),
    load: null,
    loads: [],
  };
}

function laneSpec(lane: Lane, strategy: string, env = ''): ResolvedSpec {
  const text = worldSpecText(
    {
      service: lane.key.service,
      runtime: [`runtime: { type: process, command: ${JSON.stringify(httpAppCommand)} }`],
      listen: lane.listen,
      preview: lane.preview,
    },
    { strategy, extra: `${TEMPLATES}\n${env === '' ? '' : `env: { ${env} }`}` },
  );
  return parseSpec({ text, file: 'switchyard.yaml', env: {} });
}

/** Deploys, retrying (bounded) while the previous rollout still holds the deploy lock. */
async function deploy(world: World, lane: Lane, version: string, spec: ResolvedSpec) {
  const until = Date.now() + 10_000;
  for (;;) {
    try {
      const view = await world.controller.deploy({
        ...lane.key,
        version,
        spec,
        requestedBy: 'bench',
      });
      return { id: view.id, at: Date.now() };
    } catch (error) {
      if (Date.now() > until) throw error;
      await sleep(100);
    }
  }
}

function rollout(world: World, id: number): Rollout {
  return world.store.getRollout(id) as Rollout;
}

async function waitFinal(world: World, id: number, limitMs: number): Promise<Rollout> {
  const until = Date.now() + limitMs;
  for (;;) {
    const r = rollout(world, id);
    if (isFinal(r.status)) return r;
    if (Date.now() > until) throw new Error(`rollout ${id} did not end: ${r.status} ${r.message}`);
    await sleep(POLL_MS);
  }
}

function startLaneLoad(world: World, lane: Lane, rate: number): void {
  const seconds = Math.max(1, (world.deadline - Date.now()) / 1000 + 30);
  const load = startOpenLoop({
    url: `http://127.0.0.1:${lane.listen}/`,
    rate,
    maxSeconds: seconds,
    onAnswer: lane.answers.record,
    onError: lane.answers.error,
  });
  lane.load = load;
  lane.loads.push(load.done);
}

function stopLaneLoad(lane: Lane): void {
  lane.load?.stop();
  lane.load = null;
}

/** The pool holding all traffic of the lane's service now (before a canary starts). */
async function stablePool(world: World, lane: Lane): Promise<string> {
  const config = await world.router.client.getConfig();
  const pools = config.services.find((s) => s.name === lane.routerName)?.pools ?? [];
  const stable = pools.find((p) => p.weight === 100);
  if (stable === undefined) throw new Error(`${lane.routerName} has no pool at 100%`);
  return stable.name;
}

/** Which half of compareWithStable rejected the canary, if one did. */
function rejectedBy(done: Rollout, template: Template): string | null {
  const run = rolloutData(done).analysis?.['background']?.runs[template];
  return run?.state.metrics[0]?.comparison?.rejectedBy ?? null;
}

function backgroundEvents(world: World, lane: Lane, id: number) {
  const events = world.store.listEvents({ ...lane.key, rolloutId: id });
  const background = (e: StoredEvent) => e.data?.['run'] === 'background';
  return {
    verdict: events.find((e) => e.type === VERDICT_EVENT && background(e)),
    measurements: events.filter((e) => e.type === MEASUREMENT_EVENT && background(e)),
  };
}

// ---------------------------------------------------------------- 1. detection

interface BadRound {
  readonly rate: number;
  readonly template: Template;
  readonly version: string;
  readonly detected: boolean;
  readonly status: string;
  /** The background run's verdict: failed, inconclusive, or none before the canary was removed. */
  readonly verdict: string;
  readonly message: string;
  /** ms from the canary's first answer: the analysis verdict, the router's switch, the last answer. */
  readonly verdictMs: number | null;
  readonly switchMs: number | null;
  readonly lastMs: number | null;
  readonly answers: number;
  readonly status500: number;
  readonly measurements: number;
  /** The rollout's status when the bench aborted it by hand (the canary still had its weight). */
  readonly heldAs: string | null;
}

async function badRound(world: World, lane: Lane, plan: BadPlan, n: number): Promise<BadRound> {
  const version = `bad-${plan.rate}-${plan.template}-${n}`;
  const stable = await stablePool(world, lane);
  const spec = laneSpec(lane, badStrategy(plan.template), 'FAIL_RATE: "0.2"');
  const { id } = await deploy(world, lane, version, spec);
  let sawCanaryWeight = false;
  let switchAt: number | null = null;
  let heldAs: string | null = null;
  const hardLimit = Date.now() + (DETECT_CAP_S + 60) * 1000;
  for (;;) {
    const config = await world.router.client.getConfig();
    const polledAt = Date.now();
    const pools = config.services.find((s) => s.name === lane.routerName)?.pools ?? [];
    const canaryWeight = pools
      .filter((p) => p.name !== stable)
      .reduce((sum, p) => sum + p.weight, 0);
    if (canaryWeight > 0) sawCanaryWeight = true;
    else if (sawCanaryWeight && switchAt === null) switchAt = polledAt;
    if (isFinal(rollout(world, id).status)) break;
    const first = lane.answers.byVersion.get(version)?.first;
    if (heldAs === null && first !== undefined && polledAt > first + DETECT_CAP_S * 1000) {
      heldAs = rollout(world, id).status;
      await world.controller.abort(lane.key);
    }
    if (polledAt > hardLimit)
      throw new Error(`${version} did not end: ${rollout(world, id).message}`);
    await sleep(POLL_MS);
  }
  // The canary's instances are gone: no answer from it is still on its way.
  await sleep(100);
  const done = rollout(world, id);
  const seen = lane.answers.byVersion.get(version);
  const { verdict, measurements } = backgroundEvents(world, lane, id);
  const since = (at: number | null | undefined): number | null =>
    at === null || at === undefined || seen === undefined ? null : at - seen.first;
  return {
    rate: plan.rate,
    template: plan.template,
    version,
    detected: done.status === 'failed' && done.reason === Reason.AnalysisFailed,
    status: done.status,
    verdict: String(verdict?.data?.['verdict'] ?? 'none'),
    message: verdict?.message ?? done.message,
    verdictMs: verdict?.data?.['verdict'] === 'failed' ? since(Date.parse(verdict.at)) : null,
    switchMs: since(switchAt),
    lastMs: since(seen?.last),
    answers: seen?.answers ?? 0,
    status500: seen?.status500 ?? 0,
    measurements: measurements.length,
    heldAs,
  };
}

// ---------------------------------------------------------------- 2. false aborts

type HealthyOutcome =
  | 'aborted by analysis'
  | 'promoted, comparison ran to the end'
  | 'comparison ended inconclusive'
  | 'other';

interface HealthyRound {
  readonly rate: number;
  readonly template: Template;
  readonly version: string;
  readonly outcome: HealthyOutcome;
  readonly status: string;
  readonly message: string;
  readonly measurements: number;
  readonly rejectedBy: string | null;
}

async function healthyRound(
  world: World,
  lane: Lane,
  template: Template,
  n: number,
): Promise<HealthyRound> {
  const version = `ok-${lane.index}-${n}`;
  const spec = laneSpec(lane, healthyStrategy(template));
  const deployed = await deploy(world, lane, version, spec);
  const limit = deployed.at + HEALTHY_CAP_S * 1000;
  let byHand = false;
  for (;;) {
    const r = rollout(world, deployed.id);
    if (isFinal(r.status)) break;
    // Paused (an inconclusive background run waits for a person) or too long: abort by hand.
    if (!byHand && (r.status === 'paused' || Date.now() > limit)) {
      await world.controller.abort(lane.key);
      byHand = true;
    }
    if (Date.now() > limit + 60_000) throw new Error(`${version} did not end: ${r.message}`);
    await sleep(200);
  }
  const done = rollout(world, deployed.id);
  const { verdict, measurements } = backgroundEvents(world, lane, deployed.id);
  const outcome: HealthyOutcome =
    done.status === 'failed' && done.reason === Reason.AnalysisFailed
      ? 'aborted by analysis'
      : verdict?.data?.['verdict'] === 'inconclusive'
        ? 'comparison ended inconclusive'
        : done.status === 'succeeded'
          ? 'promoted, comparison ran to the end'
          : 'other';
  return {
    rate: HEALTHY_RATE,
    template,
    version,
    outcome,
    status: done.status,
    message: verdict?.message ?? done.message,
    measurements: measurements.length,
    rejectedBy: rejectedBy(done, template),
  };
}

// ---------------------------------------------------------------- the run

export interface CanaryReport {
  readonly bad: readonly BadRound[];
  readonly healthy: readonly HealthyRound[];
  readonly otherFailures: number;
  readonly markdown: string;
}

export async function runCanaryDetection(options: CanaryOptions): Promise<CanaryReport> {
  const { log } = options;
  const started = Date.now();
  const deadline = started + options.budgetS * 1000;
  const world = await createWorld(deadline);
  const laneCount = Math.max(BAD_PLANS.length, options.healthyLanes);
  const lanes = await Promise.all(Array.from({ length: laneCount }, (_, i) => createLane(i)));

  // v1 everywhere: the first deploy starts both replicas and takes all traffic.
  const firsts = await Promise.all(
    lanes.map((lane) => deploy(world, lane, 'v1', laneSpec(lane, FIRST_STRATEGY))),
  );
  for (const { id } of firsts) {
    const r = await waitFinal(world, id, 60_000);
    if (r.status !== 'succeeded') throw new Error(`v1 did not deploy: ${r.message}`);
  }
  log(
    `  v1 (2 replicas) live on ${lanes.length} services in ${fmt((Date.now() - started) / 1000, 1)} s`,
  );

  // 1. Detection: bad canaries one at a time per lane, one lane per rate and template.
  const bad: BadRound[] = [];
  await Promise.all(
    BAD_PLANS.map(async (plan, i) => {
      const lane = lanes[i] as Lane;
      startLaneLoad(world, lane, plan.rate);
      await sleep(1000);
      for (let n = 1; n <= options.badRounds; n++) {
        // Leave the false-abort part at least one round.
        if (Date.now() + (DETECT_CAP_S + 5 + HEALTHY_ROUND_S) * 1000 > deadline) {
          log(`  ${plan.rate} req/s ${plan.template}: time budget reached after ${n - 1} round(s)`);
          break;
        }
        const round = await badRound(world, lane, plan, n);
        bad.push(round);
        log(
          `  ${round.version}: ${round.detected ? 'aborted by analysis' : `NOT detected within ${DETECT_CAP_S} s (${round.heldAs ?? round.status}, then aborted by hand)`}; ` +
            `verdict ${ms(round.verdictMs)}, router switch ${ms(round.switchMs)}, last canary answer ${ms(round.lastMs)} after its first; ` +
            `${round.status500} × 500 of ${round.answers} canary answers; ${round.measurements} measurement(s); ${round.verdict}: ${round.message}`,
        );
      }
      stopLaneLoad(lane);
    }),
  );

  // 2. False aborts: healthy canaries, one rollout at a time per lane, lanes side by side.
  const healthyLanes = lanes.slice(0, options.healthyLanes);
  for (const lane of healthyLanes) startLaneLoad(world, lane, HEALTHY_RATE);
  await sleep(1000);
  const healthy: HealthyRound[] = [];
  let begun = 0;
  await Promise.all(
    healthyLanes.map(async (lane) => {
      const template = healthyTemplate(lane.index);
      for (let n = 1; begun < options.healthyRounds; n++) {
        if (Date.now() + HEALTHY_ROUND_S * 1000 > deadline) return;
        begun++;
        const round = await healthyRound(world, lane, template, n);
        healthy.push(round);
        log(
          `  healthy ${round.version} at ${HEALTHY_RATE} req/s, ${template}: ${round.outcome} (${round.status}); ${round.measurements} measurement(s); ${round.message}`,
        );
      }
    }),
  );
  for (const lane of healthyLanes) stopLaneLoad(lane);
  await Promise.all(lanes.flatMap((lane) => lane.loads));
  const otherFailures = lanes.reduce((sum, lane) => sum + lane.answers.otherCount(), 0);
  const otherText = lanes
    .flatMap((lane) => [...lane.answers.other].map(([k, v]) => `${k}×${v}`))
    .join(', ');
  const seconds = (Date.now() - started) / 1000;
  log(
    `  took ${fmt(seconds)} s; failures not from the app: ${otherFailures}${otherText ? ` (${otherText})` : ''}`,
  );
  return {
    bad,
    healthy,
    otherFailures,
    markdown: toMarkdown({ bad, healthy, otherFailures, otherText, seconds, options }),
  };
}

function ms(value: number | null): string {
  return value === null ? 'n/a' : `${fmt(value)} ms`;
}

function stats(values: readonly (number | null)[]): string {
  const known = values.filter((v): v is number => v !== null);
  if (known.length === 0) return '—';
  return `${fmt(median(known))} / ${fmt(Math.max(...known))}`;
}

const pct = (value: number): string => `${fmt(value * 100, 1)} %`;

const templateLabel = (template: Template): string =>
  template === 'vsStable' ? '`vsStable`' : '`vsStable` + `inconclusiveLimit: 1000` (reference)';

function toMarkdown(input: {
  bad: readonly BadRound[];
  healthy: readonly HealthyRound[];
  otherFailures: number;
  otherText: string;
  seconds: number;
  options: CanaryOptions;
}): string {
  const { bad, healthy } = input;
  const badRows = BAD_PLANS.map((plan) => {
    const rounds = bad.filter((r) => r.rate === plan.rate && r.template === plan.template);
    const detected = rounds.filter((r) => r.detected);
    const total500 = rounds.reduce((sum, r) => sum + r.status500, 0);
    const missed = rounds.filter((r) => !r.detected);
    const held = [...new Set(missed.map((r) => r.heldAs ?? r.status))].join(', ');
    const inconclusive = missed.filter((r) => r.verdict === 'inconclusive').length;
    const why = missed.length === 0 ? '' : ` (${inconclusive} inconclusive; held as ${held})`;
    return `| ${plan.rate} | ${templateLabel(plan.template)} | ${rounds.length} | ${detected.length} | ${stats(detected.map((r) => r.lastMs))} | ${stats(detected.map((r) => r.verdictMs))} | ${stats(detected.map((r) => r.switchMs))} | ${total500} (${stats(rounds.map((r) => r.status500))}) | ${missed.length}${why} |`;
  });
  const templates: readonly Template[] = ['vsStable', 'vsStablePatient'];
  const healthyRows = templates.flatMap((template) => {
    const rounds = healthy.filter((r) => r.template === template);
    if (rounds.length === 0) return [];
    const count = (o: HealthyOutcome) => rounds.filter((r) => r.outcome === o).length;
    const aborted = count('aborted by analysis');
    const byErrors = rounds.filter((r) => r.rejectedBy === 'errorRate').length;
    const byLatency = rounds.filter((r) => r.rejectedBy === 'latency').length;
    return [
      `| ${HEALTHY_RATE} | ${templateLabel(template)} | ${rounds.length} | ${aborted} (${byErrors} / ${byLatency}) | ${pct(aborted / rounds.length)} | ${pct(upperBound95(aborted, rounds.length))} | ${count('promoted, comparison ran to the end')} | ${count('comparison ended inconclusive')} | ${count('other')} |`,
    ];
  });
  const quote = (label: string, rounds: readonly { message: string }[]): string[] =>
    rounds[0] === undefined ? [] : ['', `${label}: "${rounds[0].message}"`];
  return [
    `A router process, a controller in the benchmark's process (50 ms tick), the process runtime and the test app; each service has 2 replicas of v1 and its own open-loop load at a fixed rate through the router's listener (plain GETs without the sticky cookie); health checks every 200 ms. Background analysis \`vsStable: { interval: 1s, count: 1, metrics: [ { compareWithStable: {} } ] }\` (defaults: confidence 0.99, minRequests 20, inconclusiveLimit 0); the reference rows use the same template with \`inconclusiveLimit: 1000\`. This part took ${fmt(input.seconds)} s.`,
    '',
    `**Bad canary** (FAIL_RATE=0.2: every 5th request answers 500), \`steps: [ { setWeight: 20 }, { pause: 10m } ]\`, up to ${input.options.badRounds} rounds per row, one at a time per service, the four services side by side. Times in ms from the first answer of the canary's version (any status) to: the last answer from it, i.e. 100 % of traffic back on stable as the clients saw it (the rollout ends only once the canary's instances are gone); the analysis verdict (its event); the router config without the canary's weight (polled every ${POLL_MS} ms). A canary still taking traffic ${DETECT_CAP_S} s after its first answer is aborted by hand and counted as not detected (its times are left out); in brackets, how many of those had their background run end **inconclusive** (the canary keeps its 20 % meanwhile) and the rollout's status when the bench aborted it.`,
    '',
    `| req/s | template | rounds | aborted by analysis | first → last canary answer ms (median / max) | → verdict ms | → router switch ms | canary 500s seen by clients: total (median / max per round) | not detected in ${DETECT_CAP_S} s |`,
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|',
    ...badRows,
    ...quote(
      'A canary not detected',
      bad.filter((r) => !r.detected && r.template === 'vsStable'),
    ),
    '',
    `**Healthy canary** (the same app as stable), \`steps: [ { setWeight: 20 }, { pause: 20s }, { setWeight: 50 }, { pause: 10s } ]\`, ${input.options.healthyLanes} services side by side at ${HEALTHY_RATE} req/s each (alternately \`vsStable\` and the reference), rounds bounded by count (${input.options.healthyRounds}) and by time. A false abort is a rollout that failed with reason AnalysisFailed; the upper bound is one-sided 95 % Clopper–Pearson (≈ 3/n for 0 aborts). In an "ended inconclusive" round the comparison stopped measuring (too few canary requests in an interval) and the rollout paused for a person, whom the bench plays by aborting at once: such rounds say nothing about false aborts.`,
    '',
    '| req/s | template | rounds | false aborts (by errors / latency) | rate | 95 % upper bound | promoted, comparison ran to the end | comparison ended inconclusive | other |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|',
    ...healthyRows,
    ...quote(
      'A false abort',
      healthy.filter((r) => r.outcome === 'aborted by analysis'),
    ),
    ...quote(
      'A healthy canary whose comparison ended inconclusive',
      healthy.filter((r) => r.outcome === 'comparison ended inconclusive'),
    ),
    '',
    `Failures the clients saw that did not come from the app (router errors, resets): ${input.otherFailures}${input.otherText ? ` (${input.otherText})` : ''}.`,
  ].join('\n');
}

if (isMain(import.meta.url)) {
  const log = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const options = canaryOptionsFromEnv(log);
  runBench(async () => {
    const report = await runCanaryDetection(options);
    process.stdout.write(`\n${report.markdown}\n`);
  });
}
