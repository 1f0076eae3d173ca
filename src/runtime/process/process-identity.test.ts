import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  isSameLiveProcess,
  parseProcStat,
  processGroupHasLiveMembers,
  readProcessIdentity,
} from './process-identity.ts';

describe('parseProcStat', () => {
  it('counts fields from the last parenthesis, so a command name with spaces and ")" is fine', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'S';
    fields[5 - 3] = '4242';
    fields[22 - 3] = '987654';
    const stat = parseProcStat(`4242 (my (odd) app) ${fields.join(' ')}\n`);
    expect(stat).toEqual({ pid: 4242, state: 'S', processGroup: 4242, startTime: 987654 });
  });

  it('rejects text that is not a stat line', () => {
    expect(parseProcStat('nonsense')).toBeUndefined();
  });
});

describe('process identity', () => {
  it('knows this process by its PID and start time', () => {
    const identity = readProcessIdentity(process.pid);
    expect(identity?.pid).toBe(process.pid);
    expect(isSameLiveProcess(identity!)).toBe(true);
  });

  it('does not take a process with another start time for the recorded one', () => {
    const identity = readProcessIdentity(process.pid)!;
    expect(isSameLiveProcess({ pid: process.pid, startTime: identity.startTime + 1 })).toBe(false);
  });

  it('finds nothing at a PID above the kernel maximum', () => {
    expect(readProcessIdentity(2 ** 22 + 1)).toBeUndefined();
  });

  it('sees a process group while a member lives, and not after', async () => {
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const group = child.pid!;
    try {
      expect(processGroupHasLiveMembers(group)).toBe(true);
    } finally {
      process.kill(-group, 'SIGKILL');
    }
    await exited;
    while (readProcessIdentity(group) !== undefined) await sleep(10);
    expect(processGroupHasLiveMembers(group)).toBe(false);
  });
});
