import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findStateDir } from './find-state-dir.ts';

describe('findStateDir', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'switchyard-find-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('finds .switchyard in the folder itself', () => {
    mkdirSync(join(root, '.switchyard'));
    expect(findStateDir(root)).toBe(join(root, '.switchyard'));
  });

  it('searches upward like git, and the nearest one wins', () => {
    mkdirSync(join(root, '.switchyard'));
    mkdirSync(join(root, 'app', 'src', 'deep'), { recursive: true });
    expect(findStateDir(join(root, 'app', 'src', 'deep'))).toBe(join(root, '.switchyard'));
    mkdirSync(join(root, 'app', '.switchyard'));
    expect(findStateDir(join(root, 'app', 'src', 'deep'))).toBe(join(root, 'app', '.switchyard'));
  });

  it('ignores a file named .switchyard', () => {
    mkdirSync(join(root, 'app'));
    writeFileSync(join(root, 'app', '.switchyard'), '');
    mkdirSync(join(root, '.switchyard'));
    expect(findStateDir(join(root, 'app'))).toBe(join(root, '.switchyard'));
  });

  it('finds nothing when no folder up to the root has one', () => {
    // Assumes no .switchyard/ in the temp folder's parents (there is none on a clean machine).
    expect(findStateDir(root)).toBeUndefined();
  });
});
