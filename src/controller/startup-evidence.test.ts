import { describe, expect, it } from 'vitest';
import { useTempStore } from '../../test/support/use-temp-store.ts';
import { Reason } from '../rollout/reasons.ts';
import { withStartupEvidence } from './startup-evidence.ts';

const KEY = { service: 'shop', environment: 'default' };
const TIMEOUT = {
  reason: Reason.StartupTimeout,
  message: 'Only 0 of 1 instance(s) of v3 passed their health checks within startupTimeout (3s).',
};

describe('withStartupEvidence', () => {
  const t = useTempStore();

  const event = (type: string, revision: number, message: string) =>
    t.store.appendEvent({ ...KEY, type, reason: 'R', message, data: { pool: 'green', revision } });

  it('adds the last start failure or exit of the revision during this rollout to a startup timeout', () => {
    event('instance.startFailed', 3, 'from an earlier rollout of revision 3');
    const revision = t.store.addRevision({ ...KEY, version: 'v3', spec: {}, createdBy: 'ann' });
    const rollout = t.store.createRollout(
      { ...KEY, revisionId: revision.id, fromRevisionId: null, strategy: 'blueGreen' },
      { type: 'rollout.created', reason: 'RolloutCreated', message: 'Deploying.' },
    );
    expect(withStartupEvidence(t.store, rollout, 3, TIMEOUT)).toBe(TIMEOUT.message);
    event('instance.startFailed', 3, 'Could not start: image shop:3 not found');
    event('instance.exited', 2, 'an instance of another revision exited');
    expect(withStartupEvidence(t.store, rollout, 3, TIMEOUT)).toBe(
      `${TIMEOUT.message} Last: Could not start: image shop:3 not found`,
    );
    event('instance.exited', 3, 'Instance i-1 exited with code 3. Last log lines:\nboom');
    const deadline = { ...TIMEOUT, reason: Reason.ProgressDeadlineExceeded };
    expect(withStartupEvidence(t.store, rollout, 3, deadline)).toBe(
      `${TIMEOUT.message} Last: Instance i-1 exited with code 3. Last log lines:\nboom`,
    );
  });

  it('leaves the message alone when there is no evidence, or the failure is another one', () => {
    const rollout = { ...KEY, id: 7 };
    expect(withStartupEvidence(t.store, rollout, 3, TIMEOUT)).toBe(TIMEOUT.message);
    event('instance.startFailed', 3, 'Could not start');
    const aborted = { reason: Reason.AnalysisFailed, message: 'analysis failed' };
    expect(withStartupEvidence(t.store, rollout, 3, aborted)).toBe('analysis failed');
  });
});
