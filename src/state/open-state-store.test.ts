import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSwitchyardError } from '../errors.ts';
import { STATE_DB_FILE, openStateStore } from './open-state-store.ts';
import { ManualClock, thrownBy } from './testing.ts';

describe('openStateStore', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'switchyard-open-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates the state folder with mode 0700 and state.db inside it', async () => {
    const dir = join(root, 'project', '.switchyard');
    const clock = new ManualClock(new Date('2030-05-06T07:08:09.000Z'));
    const store = openStateStore({ dir, now: clock.now });
    try {
      expect(store.path).toBe(join(dir, STATE_DB_FILE));
      const revision = store.addRevision({
        service: 's',
        environment: 'e',
        version: 'v',
        spec: {},
        createdBy: 'ann',
      });
      expect(revision.createdAt).toBe('2030-05-06T07:08:09.000Z');
    } finally {
      store.close();
    }
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, STATE_DB_FILE))).isFile()).toBe(true);
  });

  it('opens an existing folder again', () => {
    const dir = join(root, '.switchyard');
    const key = { service: 's', environment: 'e' };
    const first = openStateStore({ dir });
    first.appendEvent({ ...key, type: 'note', reason: 'R', message: 'kept' });
    first.close();
    const second = openStateStore({ dir });
    try {
      expect(second.listEvents(key).map((event) => event.message)).toEqual(['kept']);
    } finally {
      second.close();
    }
  });

  it('says which folder it could not create', async () => {
    const blocker = join(root, 'a-file');
    await writeFile(blocker, 'x');
    const error = thrownBy(() => openStateStore({ dir: join(blocker, '.switchyard') }));
    expect(isSwitchyardError(error) && error.code).toBe('STATE_CORRUPT');
    expect((error as Error).message).toContain(blocker);
  });
});
