import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSwitchyardError } from '../../errors.ts';
import { createTempStateDir, thrownBy } from '../testing.ts';
import type { TempStateDir } from '../testing.ts';
import type { Revision } from '../store.ts';
import type { SqliteStateStore } from './sqlite-state-store.ts';

const shop = { service: 'shop', environment: 'live' };
const started = { type: 'rollout.created', reason: 'RolloutCreated', message: 'Deploying v2.' };

describe('rollouts and their events', () => {
  let temp: TempStateDir;
  let store: SqliteStateStore;
  let v1: Revision;
  let v2: Revision;

  beforeEach(async () => {
    temp = await createTempStateDir();
    store = temp.open();
    v1 = store.addRevision({ ...shop, version: 'v1', spec: {}, createdBy: 'ann' });
    v2 = store.addRevision({ ...shop, version: 'v2', spec: {}, createdBy: 'ann' });
  });
  afterEach(async () => {
    await temp.dispose();
  });

  it('creates a pending rollout and its first event together', () => {
    const rollout = store.createRollout(
      { ...shop, revisionId: v2.id, fromRevisionId: v1.id, strategy: 'canary' },
      started,
    );
    expect(rollout).toMatchObject({
      ...shop,
      revisionId: v2.id,
      fromRevisionId: v1.id,
      strategy: 'canary',
      status: 'pending',
      step: 0,
      weights: [],
      data: {},
      reason: 'RolloutCreated',
      finishedAt: null,
    });
    expect(store.getRollout(rollout.id)).toEqual(rollout);
    const events = store.listEvents({ rolloutId: rollout.id });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ ...shop, ...started, rolloutId: rollout.id, data: {} });
  });

  it('writes each update and its event in one transaction', () => {
    const rollout = store.createRollout(
      { ...shop, revisionId: v2.id, fromRevisionId: v1.id, strategy: 'canary' },
      started,
    );
    temp.clock.advance(1_000);
    const weights = [
      { pool: 'stable', weight: 90 },
      { pool: 'canary', weight: 10 },
    ];
    const updated = store.updateRollout(
      rollout.id,
      { status: 'progressing', step: 1, weights, data: { pauseStartedAt: 'x' } },
      {
        type: 'rollout.step',
        reason: 'WeightSet',
        message: 'Canary at 10%.',
        data: { weight: 10 },
      },
    );
    expect(updated).toMatchObject({
      status: 'progressing',
      step: 1,
      weights,
      reason: 'WeightSet',
      message: 'Canary at 10%.',
    });
    expect(updated.updatedAt).toBe('2026-01-01T00:00:01.000Z');
    expect(store.getRollout(rollout.id)).toEqual(updated);
    const events = store.listEvents({ rolloutId: rollout.id });
    expect(events.map((event) => event.reason)).toEqual(['RolloutCreated', 'WeightSet']);
    expect(events[1]?.data).toEqual({ weight: 10 });
  });

  it('leaves no event behind when the update names a missing rollout', () => {
    const before = store.listEvents({});
    const error = thrownBy(() =>
      store.updateRollout(999, { status: 'failed' }, { type: 't', reason: 'R', message: 'm' }),
    );
    expect(isSwitchyardError(error) && error.code).toBe('STATE_NOT_FOUND');
    expect(store.listEvents({})).toEqual(before);
  });

  it('undoes the rollout change when writing its event fails', () => {
    const rollout = store.createRollout(
      { ...shop, revisionId: v2.id, fromRevisionId: null, strategy: 'canary' },
      started,
    );
    // The event's data cannot be encoded (a BigInt), and it is encoded only
    // after the rollout row was updated, so the update must be rolled back.
    expect(() =>
      store.updateRollout(
        rollout.id,
        { status: 'failed', step: 3, reason: 'AnalysisFailed' },
        {
          type: 'rollout.failed',
          reason: 'AnalysisFailed',
          message: 'Error rate too high.',
          data: { n: 1n },
        },
      ),
    ).toThrow(TypeError);
    expect(store.getRollout(rollout.id)).toEqual(rollout);
    expect(store.activeRollout(shop)?.id).toBe(rollout.id);
    expect(store.listEvents({ rolloutId: rollout.id })).toHaveLength(1);
  });

  it('undoes the new rollout when its first event fails', () => {
    expect(() =>
      store.createRollout(
        { ...shop, revisionId: v2.id, fromRevisionId: null, strategy: 'canary' },
        { ...started, data: { n: 1n } },
      ),
    ).toThrow(TypeError);
    expect(store.listRollouts(shop)).toEqual([]);
    expect(store.listEvents({})).toEqual([]);
  });

  it('refuses a rollout of a revision that does not exist or belongs elsewhere', () => {
    const cart = store.addRevision({
      service: 'cart',
      environment: 'live',
      version: 'v1',
      spec: {},
      createdBy: 'ann',
    });
    for (const revisionId of [v2.id + 100, cart.id]) {
      const error = thrownBy(() =>
        store.createRollout(
          { ...shop, revisionId, fromRevisionId: null, strategy: 'canary' },
          started,
        ),
      );
      expect(isSwitchyardError(error) && error.code).toBe('STATE_NOT_FOUND');
    }
    expect(store.listRollouts(shop)).toEqual([]);
    expect(store.listEvents({})).toEqual([]);
  });

  it('records a status change without an event as a rollout.status event; other saves add none', () => {
    const rollout = store.createRollout(
      { ...shop, revisionId: v2.id, fromRevisionId: v1.id, strategy: 'canary' },
      started,
    );
    store.updateRollout(rollout.id, { data: { tick: 1 } });
    expect(store.listEvents({ rolloutId: rollout.id })).toHaveLength(1);
    store.updateRollout(rollout.id, {
      status: 'paused',
      reason: 'PausedByUser',
      message: 'Paused by ann.',
    });
    const events = store.listEvents({ rolloutId: rollout.id });
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({
      type: 'rollout.status',
      reason: 'PausedByUser',
      message: 'Paused by ann.',
      data: { from: 'pending', to: 'paused' },
    });
    expect(store.getRollout(rollout.id)?.data).toEqual({ tick: 1 });
  });

  it('treats the newest unfinished rollout as active and stamps finishedAt once', () => {
    const first = store.createRollout(
      { ...shop, revisionId: v1.id, fromRevisionId: null, strategy: 'rolling' },
      started,
    );
    expect(store.activeRollout(shop)?.id).toBe(first.id);
    temp.clock.advance(60_000);
    const done = store.updateRollout(
      first.id,
      { status: 'succeeded' },
      { type: 't', reason: 'Promoted', message: 'Done.' },
    );
    expect(done.finishedAt).toBe('2026-01-01T00:01:00.000Z');
    expect(store.activeRollout(shop)).toBeUndefined();
    temp.clock.advance(1_000);
    expect(store.updateRollout(first.id, { message: 'note' }).finishedAt).toBe(done.finishedAt);

    const second = store.createRollout(
      { ...shop, revisionId: v2.id, fromRevisionId: v1.id, strategy: 'canary' },
      started,
    );
    store.updateRollout(second.id, { status: 'paused' });
    expect(store.activeRollout(shop)?.id).toBe(second.id);
    expect(store.activeRollout({ service: 'shop', environment: 'beta' })).toBeUndefined();
    for (const status of ['failed', 'aborted', 'rolledBack'] as const) {
      const rollout = store.createRollout(
        { ...shop, revisionId: v2.id, fromRevisionId: v1.id, strategy: 'canary' },
        started,
      );
      expect(store.activeRollout(shop)?.id).toBe(rollout.id);
      store.updateRollout(rollout.id, { status });
      expect(store.activeRollout(shop)?.id).toBe(second.id);
    }
    expect(store.listRollouts(shop).map((rollout) => rollout.status)).toEqual([
      'rolledBack',
      'aborted',
      'failed',
      'paused',
      'succeeded',
    ]);
    expect(store.listRollouts(shop, { limit: 1 })).toHaveLength(1);
  });
});
