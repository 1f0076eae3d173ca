/**
 * Runs the spec's hooks (`/bin/sh -c`) at the points the strategy asks for,
 * in the spec's working directory with the instance-like environment: the
 * inherited base (PATH, HOME, locale…), the spec's env and secrets, and
 * SWITCHYARD_SERVICE/ENV/VERSION/REVISION — never the rest of the daemon's
 * environment. The output, with secret values masked, goes to a log file
 * under the state dir and its tail to the event that records the result; that event is what the strategy observes, so a
 * result survives a restart. A hook cut short by a crash has no result and
 * is run again: hooks should be safe to repeat (a migration usually is).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { HookName } from '../rollout/actions.ts';
import { commandCwd, rolloutCommandEnvironment } from './command-environment.ts';
import { Reason } from '../rollout/reasons.ts';
import type { HookResult } from '../rollout/strategy.ts';
import type { ResolvedSpec } from '../spec/index.ts';
import type { Revision, Rollout, StateStore } from '../state/store.ts';
import { keyOf } from './rollout-data.ts';
import { maskSecrets } from '../runtime/secret-mask.ts';
import { secretValues } from './secrets.ts';

export const HOOK_FINISHED_EVENT = 'hook.finished';
export const HOOK_STARTED_EVENT = 'hook.started';
/** Hooks have no timeout in the spec yet; this bounds a hung one. */
export const DEFAULT_HOOK_TIMEOUT_MS = 10 * 60_000;
const TAIL_LINES = 20;

export interface HookRunnerOptions {
  readonly store: StateStore;
  readonly stateDir: string;
  readonly timeoutMs?: number;
}

export class HookRunner {
  readonly #store: StateStore;
  readonly #stateDir: string;
  readonly #timeoutMs: number;
  readonly #running = new Map<string, { child: ChildProcess; done: Promise<void> }>();

  constructor(options: HookRunnerOptions) {
    this.#store = options.store;
    this.#stateDir = options.stateDir;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
  }

  /** The hooks that finished for the rollout, from its events. */
  results(rollout: Rollout): Partial<Record<HookName, HookResult>> {
    const results: Partial<Record<HookName, HookResult>> = {};
    for (const event of this.#store.listEvents({ ...keyOf(rollout), rolloutId: rollout.id })) {
      if (event.type !== HOOK_FINISHED_EVENT) continue;
      const data = event.data as { hook: HookName; ok: boolean; detail: string };
      results[data.hook] = { ok: data.ok, detail: data.detail };
    }
    return results;
  }

  /** Starts the hook unless it is running here or already has a result. */
  ensure(options: { rollout: Rollout; revision: Revision; hook: HookName }): void {
    const { rollout, revision, hook } = options;
    const id = `${rollout.id}:${hook}`;
    if (this.#running.has(id) || this.results(rollout)[hook] !== undefined) return;
    const spec = revision.spec as ResolvedSpec;
    const command = spec.hooks[hook];
    if (command === undefined) return;
    const dir = join(this.#stateDir, 'logs', rollout.service, rollout.environment, 'hooks');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const logPath = join(dir, `rollout-${rollout.id}-${hook}.log`);
    const key = keyOf(rollout);
    this.#store.appendEvent({
      ...key,
      rolloutId: rollout.id,
      type: HOOK_STARTED_EVENT,
      reason: Reason.HookStarted,
      message: `Running the ${hook} hook: ${command}`,
      data: { hook, logPath },
    });
    let secrets: Record<string, string>;
    try {
      secrets = secretValues(spec.secrets);
    } catch (error) {
      this.#finish({
        rollout,
        hook,
        ok: false,
        detail: (error as Error).message,
        logPath,
        output: '',
      });
      return;
    }
    const child = spawn('/bin/sh', ['-c', command], {
      cwd: commandCwd(spec),
      env: rolloutCommandEnvironment({ spec, secrets, rollout, revision }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const log = createWriteStream(logPath, { flags: 'a', mode: 0o600 });
    const tail: string[] = [];
    // Whole lines only, so a secret split across two chunks is still masked.
    let partial = '';
    const writeLine = (line: string) => {
      const masked = maskSecrets(line, secrets);
      log.write(`${masked}\n`);
      if (masked !== '') tail.push(masked);
      if (tail.length > TAIL_LINES) tail.shift();
    };
    const collect = (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) writeLine(line);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGKILL');
    }, this.#timeoutMs);
    const done = new Promise<void>((resolve) => {
      child.once('error', (error) => collect(Buffer.from(`${error.message}\n`)));
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        if (partial !== '') writeLine(partial);
        log.end();
        this.#running.delete(id);
        if (signal !== null && !timedOut && this.#stopping) return resolve();
        const ok = code === 0 && !timedOut;
        const detail = timedOut
          ? `timed out after ${this.#timeoutMs} ms`
          : signal !== null
            ? `killed by ${signal}`
            : `exit code ${code}`;
        this.#finish({ rollout, hook, ok, detail, logPath, output: tail.join('\n') });
        resolve();
      });
    });
    this.#running.set(id, { child, done });
  }

  #stopping = false;

  /** Records the hook's result: the event the strategy observes. */
  #finish(result: {
    rollout: Rollout;
    hook: HookName;
    ok: boolean;
    detail: string;
    logPath: string;
    output: string;
  }): void {
    const { rollout, hook, ok, detail, logPath, output } = result;
    try {
      this.#store.appendEvent({
        ...keyOf(rollout),
        rolloutId: rollout.id,
        type: HOOK_FINISHED_EVENT,
        reason: ok ? Reason.HookSucceeded : Reason.HookFailed,
        message: `The ${hook} hook ${ok ? 'succeeded' : `failed (${detail})`}. Output: ${logPath}`,
        data: { hook, ok, detail, logPath, output },
      });
    } catch {
      // The store closed under us (shutdown): the hook reruns after restart.
    }
  }

  /** Stops running hooks without recording a result, so they run again after a restart. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const running = [...this.#running.values()];
    for (const { child } of running) killGroup(child, 'SIGTERM');
    await Promise.all(running.map(({ done }) => done));
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}
