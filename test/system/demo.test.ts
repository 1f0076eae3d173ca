/**
 * `switchyard demo` end to end, as a user runs it: the real CLI, the real
 * controller and router process, real instances and real load (with slow
 * requests in flight). It must lose no request, send nothing to an old
 * version after a switch, and leave nothing behind.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alive } from '../support/processes.ts';
import { run as runIn } from './cli-harness.ts';

/** `switchyard ARGS` from this folder (the demo makes its own temp dir). */
const run = (args: string[]) => runIn(process.cwd(), args);

describe('switchyard demo', () => {
  it('deploys v1, blue/greens to v2 and rolls back under load with zero failed requests and cleans up', async () => {
    const { code, stdout, stderr } = await run(['demo', '--duration', '1']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/Result: \d+ requests, 0 failed/);
    expect(stdout).not.toMatch(/[1-9]\d* failed/);
    expect(stdout).toContain('every one from v2');
    expect(stdout).toContain('every one from v1');
    expect(stdout).toContain('No request failed');
    // The controller's steps, as they happened: preview, promote, switch, old pool stopped.
    expect(stdout).toContain('preview listener answers with v2');
    expect(stdout).toContain('promote: switch all traffic to v2');
    expect(stdout).toContain('v2 live; the old pool drained and stopped');
    expect(stdout).toMatch(/rollback requested: .* starts v1 again/);
    expect(stdout).toContain('promote: switch all traffic to v1');
    expect(stdout).toContain('v1 live; the old pool drained and stopped');

    const routerPid = Number(/router running \(pid (\d+)\)/.exec(stdout)?.[1]);
    expect(routerPid).toBeGreaterThan(0);
    expect(alive(routerPid)).toBe(false);
    const stateDir = /state in (\S+)/.exec(stdout)?.[1];
    expect(stateDir).toBeDefined();
    expect(existsSync(stateDir as string)).toBe(false);
    // Every instance the demo started answered on a port it printed; none may still listen.
    const ports = [...stdout.matchAll(/: ports ([\d, ]+)/g)].flatMap((m) =>
      m[1]!.split(', ').map(Number),
    );
    expect(ports.length).toBe(9);
    for (const port of ports) {
      const answered = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        () => true,
        () => false,
      );
      expect(answered).toBe(false);
    }
  });

  it('rejects a bad --duration with exit 2 and a sentence', async () => {
    const { code, stderr } = await run(['demo', '--duration', 'soon']);
    expect(code).toBe(2);
    expect(stderr).toContain('--duration must be a number of seconds');
  });
});
