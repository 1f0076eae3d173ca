import { describe, expect, it } from 'vitest';
import { containerHandleOf } from './container-handle.ts';
import { instanceStatusOf, stopSignalOf } from './container-state.ts';
import { imageMissingMessage, imageStep } from './image-policy.ts';

describe('instanceStatusOf', () => {
  it.each([
    [{ Status: 'running', Running: true, ExitCode: 0 }, { state: 'running' }],
    [{ Status: 'paused', Running: false, Paused: true }, { state: 'running' }],
    [{ Status: 'restarting', Restarting: true }, { state: 'running' }],
    [
      { Status: 'exited', Running: false, ExitCode: 3 },
      { state: 'exited', exitCode: 3, signal: null },
    ],
    [
      { Status: 'exited', ExitCode: 137 },
      { state: 'exited', exitCode: 137, signal: null },
    ],
    [
      { Status: 'created', ExitCode: 0 },
      { state: 'exited', exitCode: null, signal: null },
    ],
  ])('reads %j as %j', (state, status) => {
    expect(instanceStatusOf(state)).toEqual(status);
  });
});

describe('stopSignalOf', () => {
  it.each([
    [undefined, 'SIGTERM'],
    ['', 'SIGTERM'],
    ['SIGQUIT', 'SIGQUIT'],
    ['QUIT', 'SIGQUIT'],
    [15, 'SIGTERM'],
    [3, 'SIGQUIT'],
    ['3', 'SIGQUIT'],
  ])("reads Docker's or Podman's %j as %s", (given, name) => {
    expect(stopSignalOf(given)).toBe(name);
  });
});

describe('imageStep', () => {
  it.each([
    ['never', true, 'use'],
    ['never', false, 'missing'],
    ['missing', true, 'use'],
    ['missing', false, 'pull'],
    ['always', true, 'pull'],
    ['always', false, 'pull'],
  ] as const)('pull: %s with the image present=%s → %s', (pull, present, step) => {
    expect(imageStep(pull, present)).toBe(step);
  });

  it('says what to do about a missing image', () => {
    expect(imageMissingMessage('localhost/shop:2')).toMatch(
      /^image localhost\/shop:2 not found on the container engine; build or load it first/,
    );
  });
});

describe('containerHandleOf', () => {
  const record = {
    instanceId: 'i',
    runtime: 'container',
    service: 's',
    environment: 'e',
    revision: 1,
    version: '1',
    pool: 'blue',
    host: '127.0.0.1',
    port: 1,
    startedAt: '',
  };

  it('reads what start wrote', () => {
    const containerId = 'ab'.repeat(32);
    expect(
      containerHandleOf({
        ...record,
        handle: { containerId, containerPort: 3000, image: 'shop:1', stopTimeoutMs: 5000 },
      }),
    ).toEqual({ containerId, containerPort: 3000, image: 'shop:1', stopTimeoutMs: 5000 });
  });

  it('refuses a record another runtime wrote, with the code tests rely on', () => {
    expect(() => containerHandleOf({ ...record, handle: { pid: 42 } })).toThrow(
      expect.objectContaining({ code: 'RUNTIME_NOT_FOUND' }),
    );
  });
});
