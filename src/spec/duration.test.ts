import { describe, expect, it } from 'vitest';
import { isSwitchyardError } from '../errors.ts';
import { Duration, durationMs } from './duration.ts';

describe('Duration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004],
    ['0s', 0],
  ])('parses %s as %i ms', (text, ms) => {
    expect(Duration.parse(text).ms).toBe(ms);
  });

  it.each([
    ['90s', '1m30s'],
    ['1500ms', '1s500ms'],
    ['60m', '1h'],
    ['0ms', '0s'],
    ['300ms', '300ms'],
  ])('writes %s canonically as %s', (text, canonical) => {
    expect(Duration.parse(text).toString()).toBe(canonical);
    expect(JSON.stringify({ d: Duration.parse(text) })).toBe(`{"d":"${canonical}"}`);
  });

  it.each(['', '30', '30 seconds', '1.5s', '30s1m', '1s1s', '-5s', '5d', ' 5s', 'ms'])(
    'rejects %j',
    (text) => {
      expect(Duration.tryParse(text)).toBeUndefined();
      let caught: unknown;
      try {
        Duration.parse(text);
      } catch (error) {
        caught = error;
      }
      expect(isSwitchyardError(caught) && caught.code).toBe('SPEC_INVALID_DURATION');
    },
  );

  it('rejects a bare number: durations are strings', () => {
    expect(() => Duration.parse(30)).toThrow(/not a duration/);
  });

  it('checks its invariant at construction', () => {
    expect(() => new Duration(-1)).toThrow(RangeError);
    expect(() => new Duration(1.5)).toThrow(RangeError);
    expect(Duration.fromMs(2_000).equals(Duration.parse('2s'))).toBe(true);
  });

  it('reads a resolved duration string as milliseconds', () => {
    expect(durationMs('2m')).toBe(120_000);
  });
});
