import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTempStateDir } from '../testing.ts';
import type { TempStateDir } from '../testing.ts';

const live = { service: 'shop', environment: 'live' };

describe('two stores on the same file', () => {
  let temp: TempStateDir;

  beforeEach(async () => {
    temp = await createTempStateDir();
  });
  afterEach(async () => {
    await temp.dispose();
  });

  it("see each other's writes at once", () => {
    const one = temp.open();
    const two = temp.open();

    const revision = one.addRevision({ ...live, version: 'v1', spec: { a: 1 }, createdBy: 'ann' });
    expect(two.getRevision(revision.id)).toEqual(revision);
    expect(two.addRevision({ ...live, version: 'v2', spec: {}, createdBy: 'bo' }).number).toBe(2);

    const rollout = two.createRollout(
      { ...live, revisionId: revision.id, fromRevisionId: null, strategy: 'canary' },
      { type: 'rollout.created', reason: 'RolloutCreated', message: 'Deploying.' },
    );
    expect(one.activeRollout(live)?.id).toBe(rollout.id);
    one.updateRollout(rollout.id, { status: 'succeeded' });
    expect(two.activeRollout(live)).toBeUndefined();
    expect(two.listEvents({ rolloutId: rollout.id })).toHaveLength(2);

    expect(
      one.acquireLock({ ...live, holder: 'one', reason: 'deploy', leaseMs: 1_000 }).acquired,
    ).toBe(true);
    const seen = two.acquireLock({ ...live, holder: 'two', reason: 'deploy', leaseMs: 1_000 });
    expect(seen).toMatchObject({ acquired: false, heldBy: { holder: 'one' } });
    temp.clock.advance(1_000);
    expect(
      two.acquireLock({ ...live, holder: 'two', reason: 'deploy', leaseMs: 1_000 }).acquired,
    ).toBe(true);
    expect(one.getLock(live)?.holder).toBe('two');
  });

  it('keeps the data after every store is closed and the file is opened again', () => {
    const first = temp.open();
    first.addRevision({ ...live, version: 'v1', spec: {}, createdBy: 'ann' });
    first.close();
    first.close();
    const again = temp.open();
    expect(again.listRevisions(live).map((revision) => revision.version)).toEqual(['v1']);
  });
});
