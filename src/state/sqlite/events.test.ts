import { useTempStore } from '../../../test/support/use-temp-store.ts';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { isSwitchyardError } from '../../errors.ts';
import { thrownBy } from '../testing.ts';

const live = { service: 'shop', environment: 'live' };
const beta = { service: 'shop', environment: 'beta' };

describe('the event log', () => {
  const t = useTempStore();

  function append(key: typeof live, n: number): void {
    t.temp.clock.advance(10);
    t.store.appendEvent({
      ...key,
      type: 'note',
      reason: `R${n}`,
      message: `event ${n}`,
      data: { n },
    });
  }

  it('keeps events in the order they were written, with increasing ids and times', () => {
    for (let n = 1; n <= 5; n++) append(n % 2 === 0 ? beta : live, n);
    const all = t.store.listEvents({});
    expect(all.map((event) => event.reason)).toEqual(['R1', 'R2', 'R3', 'R4', 'R5']);
    const ids = all.map((event) => event.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(all[0]).toMatchObject({
      ...live,
      rolloutId: null,
      data: { n: 1 },
      at: '2026-01-01T00:00:00.010Z',
    });
    expect(t.store.listEvents(beta).map((event) => event.reason)).toEqual(['R2', 'R4']);
    expect(t.store.listEvents({ service: 'shop' })).toHaveLength(5);
    expect(t.store.listEvents({ service: 'cart' })).toEqual([]);
  });

  it('pages with afterId and limit without skipping or repeating an event', () => {
    for (let n = 1; n <= 7; n++) append(live, n);
    const seen: string[] = [];
    let afterId = 0;
    for (;;) {
      const page = t.store.listEvents({ ...live, afterId, limit: 3 });
      if (page.length === 0) break;
      expect(page.length).toBeLessThanOrEqual(3);
      seen.push(...page.map((event) => event.reason));
      afterId = page.at(-1)!.id;
    }
    expect(seen).toEqual(['R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'R7']);
    append(live, 8);
    expect(t.store.listEvents({ ...live, afterId }).map((event) => event.reason)).toEqual(['R8']);
  });

  it('filters by rollout', () => {
    const revision = t.store.addRevision({ ...live, version: 'v1', spec: {}, createdBy: 'ann' });
    const rollout = t.store.createRollout(
      { ...live, revisionId: revision.id, fromRevisionId: null, strategy: 'canary' },
      { type: 'rollout.created', reason: 'RolloutCreated', message: 'Deploying.' },
    );
    append(live, 1);
    t.store.appendEvent({
      ...live,
      rolloutId: rollout.id,
      type: 'analysis',
      reason: 'AnalysisPassed',
      message: 'ok',
    });
    expect(t.store.listEvents({ rolloutId: rollout.id }).map((event) => event.reason)).toEqual([
      'RolloutCreated',
      'AnalysisPassed',
    ]);
  });

  it('refuses an event for a rollout that does not exist', () => {
    const error = thrownBy(() =>
      t.store.appendEvent({ ...live, rolloutId: 42, type: 'note', reason: 'R', message: 'm' }),
    );
    expect(isSwitchyardError(error) && error.code).toBe('STATE_NOT_FOUND');
    expect(t.store.listEvents({})).toEqual([]);
  });

  it('cannot be rewritten, even with SQL from outside the store', () => {
    append(live, 1);
    const db = new DatabaseSync(t.temp.path);
    try {
      expect(() => db.exec("UPDATE events SET message = 'rewritten'")).toThrow(/append-only/);
      expect(() => db.exec('DELETE FROM events')).toThrow(/append-only/);
    } finally {
      db.close();
    }
    expect(t.store.listEvents({}).map((event) => event.message)).toEqual(['event 1']);
  });
});
