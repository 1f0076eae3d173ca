/**
 * Two deploys of the same service and environment never run at once
 * (DESIGN.md, Promises): separate Node processes race for one deploy lock
 * through the SQLite store, and in every round exactly one wins and every
 * other one is told the winner's name.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../src/state/sqlite/sqlite-state-store.ts';
import type { AcquireResult } from '../../src/state/store.ts';

const CONTENDERS = 8;
const ROUNDS = 20;
const CONTENDER_SCRIPT = join(import.meta.dirname, '..', 'fixtures', 'state', 'lock-contender.ts');

type Child = ChildProcessByStdio<Writable, Readable, Readable>;

interface Contender {
  readonly holder: string;
  readonly child: Child;
  /** Resolves with the JSON lines the contender printed, once it has exited. */
  readonly finished: Promise<{ lines: unknown[]; exitCode: number | null; stderr: string }>;
  readonly ready: Promise<void>;
}

describe('lock race between processes', () => {
  let dir: string;
  let started: Child[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-lock-race-'));
    started = [];
  });
  afterEach(async () => {
    // Only if an assertion failed half-way: stop exactly the processes this test started.
    for (const child of started) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  });

  function startContender(options: { path: string; holder: string; service: string }): Contender {
    const child = spawn(
      process.execPath,
      [CONTENDER_SCRIPT, options.path, options.holder, options.service],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    started.push(child);
    // A contender that died early closes its stdin; its exit code tells the story.
    child.stdin.on('error', () => {});
    const lines: unknown[] = [];
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    let markReady: () => void = () => {};
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const value: unknown = JSON.parse(line);
      if ((value as { ready?: boolean }).ready === true) markReady();
      else lines.push(value);
    });
    const finished = new Promise<{ lines: unknown[]; exitCode: number | null; stderr: string }>(
      (resolve) => {
        child.on('close', (exitCode) => resolve({ lines, exitCode, stderr }));
      },
    );
    // A contender that dies before it is ready must not hang the barrier.
    void finished.then(() => markReady());
    return { holder: options.holder, child, finished, ready };
  }

  async function race(options: {
    path: string;
    service: string;
    round: number;
  }): Promise<AcquireResult[]> {
    const contenders = Array.from({ length: CONTENDERS }, (_, index) =>
      startContender({
        path: options.path,
        service: options.service,
        holder: `r${options.round}-p${index}`,
      }),
    );
    await Promise.all(contenders.map((contender) => contender.ready));
    for (const contender of contenders) contender.child.stdin.end('go\n');
    const outcomes = await Promise.all(contenders.map((contender) => contender.finished));
    for (const outcome of outcomes) {
      expect(outcome.stderr).toBe('');
      expect(outcome.exitCode).toBe(0);
      expect(outcome.lines).toHaveLength(1);
    }
    return outcomes.map((outcome) => outcome.lines[0] as AcquireResult);
  }

  it(`lets exactly one of ${CONTENDERS} processes win, ${ROUNDS} rounds in a row`, async () => {
    const shared = join(dir, 'shared.db');
    for (let round = 0; round < ROUNDS; round++) {
      const service = `svc-${round}`;
      // Even rounds: a file no one has created yet, so the processes also race
      // to create and migrate it. Odd rounds: a shared file where a lapsed
      // lease is waiting to be taken over.
      const fresh = round % 2 === 0;
      const path = fresh ? join(dir, `round-${round}.db`) : shared;
      if (!fresh) seedLapsedLock({ path, service });

      const results = await race({ path, service, round });

      const winners = results.filter((result) => result.acquired);
      expect(winners, `round ${round}`).toHaveLength(1);
      const winner = winners[0]!;
      if (!winner.acquired) throw new Error('unreachable');
      for (const result of results) {
        if (!result.acquired)
          expect(result.heldBy.holder, `round ${round}`).toBe(winner.lock.holder);
      }
      const store = new SqliteStateStore({ path });
      try {
        expect(store.getLock({ service, environment: 'race' })?.holder).toBe(winner.lock.holder);
      } finally {
        store.close();
      }
    }
  });
});

/** A lock whose lease ended long ago (the store's clock set an hour back). */
function seedLapsedLock(options: { path: string; service: string }): void {
  const anHourAgo = new Date(Date.now() - 3_600_000);
  const store = new SqliteStateStore({ path: options.path, now: () => anHourAgo });
  try {
    const result = store.acquireLock({
      service: options.service,
      environment: 'race',
      holder: 'crashed-controller',
      reason: 'deploy that never finished',
      leaseMs: 60_000,
    });
    if (!result.acquired) throw new Error('The seeded lock should have been free.');
  } finally {
    store.close();
  }
}
