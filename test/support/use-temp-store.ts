/**
 * A fresh SQLite store in a temporary folder for each test of a `describe`
 * block, removed after it: `const t = useTempStore();` then `t.store`.
 */
import { afterEach, beforeEach } from 'vitest';
import type { SqliteStateStore } from '../../src/state/sqlite/sqlite-state-store.ts';
import { createTempStateDir, type TempStateDir } from '../../src/state/testing.ts';

export interface TempStore {
  readonly temp: TempStateDir;
  readonly store: SqliteStateStore;
}

export function useTempStore(): TempStore {
  let temp: TempStateDir | undefined;
  let store: SqliteStateStore | undefined;
  beforeEach(async () => {
    temp = await createTempStateDir();
    store = temp.open();
  });
  afterEach(async () => {
    await temp?.dispose();
    temp = undefined;
    store = undefined;
  });
  return {
    get temp() {
      if (!temp) throw new Error('useTempStore: only inside a test');
      return temp;
    },
    get store() {
      if (!store) throw new Error('useTempStore: only inside a test');
      return store;
    },
  };
}
