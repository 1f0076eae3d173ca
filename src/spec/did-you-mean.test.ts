import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance } from './did-you-mean.ts';

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions, ignoring case', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('interval', 'intervall')).toBe(1);
    expect(editDistance('HealthCheck', 'healthcheck')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
  });
});

describe('didYouMean', () => {
  const keys = ['service', 'runtime', 'healthCheck', 'router', 'replicas', 'strategy'];

  it('suggests the closest key for a near miss', () => {
    expect(didYouMean('healthChek', keys)).toBe('healthCheck');
    expect(didYouMean('health_check', keys)).toBe('healthCheck');
    expect(didYouMean('routr', keys)).toBe('router');
    expect(didYouMean('replica', keys)).toBe('replicas');
  });

  it('suggests nothing when no key is close', () => {
    expect(didYouMean('owner', keys)).toBeUndefined();
    expect(didYouMean('x', keys)).toBeUndefined();
    expect(didYouMean('anything', [])).toBeUndefined();
  });
});
