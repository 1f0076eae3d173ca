import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.ts';
import { specDigest } from './spec-digest.ts';

describe('canonicalJson', () => {
  it('sorts keys at every depth and leaves array order alone', () => {
    const text = canonicalJson({ b: 1, a: { d: [3, 1, { z: 1, y: 2 }], c: 'x' } });
    expect(text).toBe('{"a":{"c":"x","d":[3,1,{"y":2,"z":1}]},"b":1}');
  });

  it('sorts integer-like keys as strings, which a rebuilt JS object would not', () => {
    expect(canonicalJson({ '9': 'nine', '10': 'ten', a: 1 })).toBe('{"10":"ten","9":"nine","a":1}');
  });

  it('follows JSON.stringify for undefined, functions, non-finite numbers and toJSON', () => {
    const value = {
      gone: undefined,
      fn: () => 1,
      list: [undefined, Number.NaN, Infinity],
      when: new Date('2026-01-02T03:04:05.000Z'),
    };
    expect(canonicalJson(value)).toBe(
      '{"list":[null,null,null],"when":"2026-01-02T03:04:05.000Z"}',
    );
  });

  it('refuses circular structures and BigInt instead of looping or guessing', () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => canonicalJson(loop)).toThrow(TypeError);
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
  });

  it('lets a value appear twice when it is not its own ancestor', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });
});

describe('specDigest', () => {
  it('is the same for the same spec written with keys in another order', () => {
    const one = { service: 'shop', port: 3000, env: { A: '1', B: '2' } };
    const two = { env: { B: '2', A: '1' }, port: 3000, service: 'shop' };
    expect(specDigest(one)).toBe(specDigest(two));
    expect(specDigest(one)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs when a value differs', () => {
    expect(specDigest({ port: 3000 })).not.toBe(specDigest({ port: 3001 }));
  });
});
