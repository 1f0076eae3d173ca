import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeApiInfo } from './api-info.ts';
import { daemonPaths, type DaemonPaths } from './paths.ts';
import { isAlive } from './process-check.ts';
import { stopDaemon } from './stop-daemon.ts';

describe('stopDaemon', () => {
  let dir: string;
  let paths: DaemonPaths;
  let stranger: ChildProcess;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-stop-'));
    paths = daemonPaths(dir);
    stranger = spawn('sleep', ['30'], { stdio: 'ignore' });
  });
  afterEach(() => {
    stranger.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves alone a program that got the pid of a crashed daemon', async () => {
    // What `kill -9` of the daemon leaves: api.json, whose pid now names another program.
    await writeApiInfo(paths.apiInfo, {
      url: 'http://127.0.0.1:1',
      pid: stranger.pid!,
      startedAt: '2026-01-01T00:00:00.000Z',
    });
    const started = Date.now();
    const result = await stopDaemon({ paths, keepRouter: true, user: 'tester@here' });
    expect(result).toEqual({});
    expect(isAlive(stranger.pid!)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
