import { describe, expect, it } from 'vitest';
import { overlay } from './overlay.ts';

describe('overlay', () => {
  it('merges mappings key by key', () => {
    expect(
      overlay(
        { replicas: 3, env: { LOG_LEVEL: 'info', REGION: 'eu' }, router: { listen: 80 } },
        { replicas: 1, env: { LOG_LEVEL: 'debug' } },
      ),
    ).toEqual({ replicas: 1, env: { LOG_LEVEL: 'debug', REGION: 'eu' }, router: { listen: 80 } });
  });

  it('replaces lists and scalars whole', () => {
    expect(overlay({ secrets: ['A', 'B'], port: 3000 }, { secrets: ['C'], port: 4000 })).toEqual({
      secrets: ['C'],
      port: 4000,
    });
  });

  it('replaces a runtime of another type instead of mixing the two', () => {
    expect(
      overlay(
        { runtime: { type: 'process', command: 'node server.js' } },
        { runtime: { type: 'container', image: 'shop:1' } },
      ),
    ).toEqual({ runtime: { type: 'container', image: 'shop:1' } });
    expect(
      overlay(
        { runtime: { type: 'ssh', hosts: ['a'], command: 'x' } },
        { runtime: { type: 'ssh', hosts: ['b'] } },
      ),
    ).toEqual({ runtime: { type: 'ssh', hosts: ['b'], command: 'x' } });
  });

  it('replaces a strategy of another kind, and merges one of the same kind', () => {
    expect(
      overlay({ strategy: { canary: { steps: [] } } }, { strategy: { preset: 'AllAtOnce' } }),
    ).toEqual({
      strategy: { preset: 'AllAtOnce' },
    });
    expect(
      overlay(
        { strategy: { rolling: { maxSurge: 1, maxUnavailable: 0 } } },
        { strategy: { rolling: { maxSurge: 2 } } },
      ),
    ).toEqual({ strategy: { rolling: { maxSurge: 2, maxUnavailable: 0 } } });
  });

  it('does not change its inputs', () => {
    const base = { env: { A: '1' } };
    overlay(base, { env: { A: '2' } });
    expect(base).toEqual({ env: { A: '1' } });
  });
});
