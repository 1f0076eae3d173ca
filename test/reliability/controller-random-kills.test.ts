/**
 * A controller killed with SIGKILL at a random moment of each of 20
 * rollouts, blue/green and canary mixed, then started again, ends every
 * rollout in the right state (succeeded after a promote or autoPromote,
 * aborted when the test aborted it; a canary succeeded when its inline
 * analysis passes and failed when it fails, whether the kill came during a
 * measurement or not), leaves no orphan instance (store vs /proc), and
 * keeps the store's history intact.
 *
 * The kill moments come from a seeded PRNG; the seed is printed, and
 * SEED=<n> npx vitest run test/reliability/controller-random-kills.test.ts
 * replays a run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControllerCommands } from '../../src/controller/controller-commands.ts';
import { FINAL_ROLLOUT_STATUSES as FINAL, isFinal } from '../../src/state/index.ts';
import type { RolloutStatus } from '../../src/state/store.ts';
import type { ControllerChild, ControllerWorld } from '../system/controller-harness.ts';
import {
  KEY,
  commandsFor,
  createWorld,
  expectNoOrphans,
  startControllerProcess,
  until,
} from '../system/controller-harness.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { seedFromEnv } from './support.ts';

const ROLLOUTS = 20;
const HOLDER = 'reliability-controller';

const seed = seedFromEnv();
const random = seededRandom(seed);
console.log(`controller-random-kills: SEED=${seed}`);

let world: ControllerWorld;
let commands: ControllerCommands;
let controller: ControllerChild | undefined;

const rollout = (id: number) => world.rollout(id);
const phaseOf = (id: number): string | undefined => world.phase(id);
const ended = (id: number): boolean => isFinal(rollout(id).status);

beforeAll(async () => {
  world = await createWorld();
  commands = commandsFor(world, HOLDER);
  controller = await startControllerProcess(world.stateDir, HOLDER);
});

afterAll(async () => {
  await controller?.kill('SIGTERM');
  await world?.dispose();
});

describe(`controller SIGKILLed at random moments of ${ROLLOUTS} rollouts (SEED=${seed})`, () => {
  const outcomes: string[] = [];

  it('deploys v1', async () => {
    const view = await commands.deploy({
      ...KEY,
      version: 'v1',
      spec: world.spec({ replicas: 1, strategy: '{ blueGreen: { autoPromote: 0s } }' }),
      requestedBy: 'tester',
    });
    await until(() => rollout(view.id).status === 'succeeded');
    await expectNoOrphans(world);
  });

  it(
    'ends each rollout in the right state with no orphan after a kill',
    { timeout: 240_000 },
    async () => {
      let stable = { version: 'v1', replicas: 1 };
      for (let round = 0; round < ROLLOUTS; round += 1) {
        const version = `v${round + 2}`;
        const pick = random();
        const mode =
          pick < 0.2
            ? 'abort'
            : pick < 0.4
              ? 'auto'
              : pick < 0.6
                ? 'promote'
                : pick < 0.85
                  ? 'canary'
                  : 'canaryFails';
        const replicas = random() < 0.5 ? 1 : 2;
        const scaleDownDelay = random() < 0.5 ? '0s' : '1s';
        const killAfterMs = Math.floor(random() * 1_500);
        const downMs = Math.floor(random() * 300);
        const canary = mode === 'canary' || mode === 'canaryFails';
        const strategy = canary
          ? '{ canary: { steps: [ { setWeight: 50 }, { pause: 200ms }, { analysis: { templates: [check] } }, { setWeight: 100 } ] } }'
          : mode === 'auto'
            ? `{ blueGreen: { autoPromote: 300ms, scaleDownDelay: ${scaleDownDelay} } }`
            : `{ blueGreen: { scaleDownDelay: ${scaleDownDelay} } }`;
        // An analysis the kill can interrupt: two command measurements 200 ms apart.
        const check = `analysis: { templates: { check: { interval: 200ms, count: 2, metrics: [ { command: { run: "${mode === 'canaryFails' ? 'false' : 'true'}" } } ] } } }`;
        await until(() => world.store.getLock(KEY) === undefined);
        const { id } = await commands.deploy({
          ...KEY,
          version,
          spec: world.spec({ replicas, strategy, extra: check }),
          requestedBy: 'tester',
        });

        let killedIn = '';
        const crash = (async () => {
          await sleep(killAfterMs);
          await controller?.kill('SIGKILL');
          killedIn = ended(id) ? `after ${rollout(id).status}` : (phaseOf(id) ?? 'pending');
          await sleep(downMs);
          controller = await startControllerProcess(world.stateDir, HOLDER);
        })();

        if (mode === 'abort' || mode === 'promote') {
          await until(() => phaseOf(id) === 'awaitingPromote' || ended(id));
          if (mode === 'abort') await commands.abort(KEY);
          else await commands.promote(KEY, { full: false });
        }
        await crash;
        await until(() => ended(id));
        const status = rollout(id).status;
        outcomes.push(
          `${version} ${mode} r=${replicas} kill@${killAfterMs}ms(${killedIn}) → ${status}`,
        );
        const back = mode === 'abort' || mode === 'canaryFails';
        expect(status, `${version} (${mode}), killed in ${killedIn}`).toBe(
          mode === 'abort' ? 'aborted' : mode === 'canaryFails' ? 'failed' : 'succeeded',
        );
        await expectNoOrphans(world);
        // What runs is the live revision, all its replicas: the new one, or
        // after an abort the one before it.
        const live = world.store.listInstances(KEY).map((i) => i.record.version);
        const expected = back ? stable : { version, replicas };
        expect(live, `${version} (${mode})`).toEqual(
          Array.from({ length: expected.replicas }, () => expected.version),
        );
        stable = expected;
      }
      console.log(`controller-random-kills (SEED=${seed}):\n  ${outcomes.join('\n  ')}`);
    },
  );

  it('keeps the store history intact', () => {
    const revisions = world.store.listRevisions(KEY);
    expect(revisions.map((r) => r.number).sort((a, b) => a - b)).toEqual(
      Array.from({ length: ROLLOUTS + 1 }, (_, i) => i + 1),
    );
    const rollouts = world.store.listRollouts(KEY);
    expect(rollouts).toHaveLength(ROLLOUTS + 1);
    for (const r of rollouts) expect(FINAL).toContain(r.status);

    const events = world.store.listEvents({ ...KEY });
    for (let i = 1; i < events.length; i += 1) {
      expect(events[i]!.id).toBeGreaterThan(events[i - 1]!.id);
      expect(events[i]!.at >= events[i - 1]!.at).toBe(true);
    }
    for (const r of rollouts) {
      const own = events.filter((e) => e.rolloutId === r.id);
      expect(own[0]?.type, `rollout ${r.id} starts with its created event`).toBe('rollout.created');
      expect(own.filter((e) => e.type === 'rollout.created')).toHaveLength(1);
      // Every status change is recorded (rollout.step carries data.status,
      // rollout.status data.to); the last one is the final status, and no
      // status event follows it.
      const statuses = own
        .map((e) => {
          const data = e.data as { status?: string; to?: string } | undefined;
          return data?.to ?? data?.status;
        })
        .filter((s): s is string => s !== undefined);
      expect(statuses.length, `rollout ${r.id} has status events`).toBeGreaterThan(0);
      expect(statuses.at(-1)).toBe(r.status);
      expect(statuses.filter((s) => isFinal(s as RolloutStatus))).toEqual([r.status]);
    }
    expect(world.store.getLock(KEY)).toBeUndefined();
  });
});
