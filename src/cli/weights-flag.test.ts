import { describe, expect, it } from 'vitest';
import { isSwitchyardError } from '../errors.ts';
import { parseWeights } from './weights-flag.ts';

function usageError(run: () => unknown): { code: string; exitCode: number; message: string } {
  try {
    run();
  } catch (error) {
    if (isSwitchyardError(error)) return error;
    throw error;
  }
  throw new Error('expected a usage error');
}

describe('traffic --weights', () => {
  it('maps the weights onto the pools in order', () => {
    expect(parseWeights('90:10', ['blue', 'green'])).toEqual([
      { pool: 'blue', weight: 90 },
      { pool: 'green', weight: 10 },
    ]);
    expect(parseWeights('100', ['blue'])).toEqual([{ pool: 'blue', weight: 100 }]);
    expect(parseWeights('0:100', ['blue', 'green'])[1]).toEqual({ pool: 'green', weight: 100 });
  });

  it.each([
    ['90:10:0', 'it has 3 weights but there are 2 pools'],
    ['100', 'it has 1 weight but there are 2 pools'],
    ['90.5:9.5', '"90.5" is not a whole number'],
    ['-10:110', '"-10" is not a whole number'],
    ['ninety:10', '"ninety" is not a whole number'],
    ['90:', '"" is not a whole number'],
    ['80:10', 'add up to 90, not 100'],
    ['150:0', '150 is more than 100'],
  ])('refuses %s with exit 2 and a sentence', (flag, problem) => {
    const error = usageError(() => parseWeights(flag, ['blue', 'green']));
    expect(error.code).toBe('USAGE');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(problem);
    expect(error.message).toContain('blue, green');
  });

  it('says when there is nothing to weigh', () => {
    expect(usageError(() => parseWeights('100', [])).message).toContain('no pools');
  });
});
