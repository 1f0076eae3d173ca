/**
 * `switchyard demo` end to end, as a user runs it: the real CLI, the real
 * controller and router process, real instances and real load (with slow
 * requests in flight). It must lose no request, send nothing to an old
 * version after a switch, and leave nothing behind.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../bin/switchyard.js', import.meta.url));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

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
