import { describe, expect, it } from 'vitest';
import { secretValuesOf, switchyardLabels, LABEL } from './container/labels.ts';
import {
  SECRET_MASK,
  maskSecretBytes,
  maskValues,
  secretSafeCut,
  secretValuesIn,
} from './secret-mask.ts';

describe('secret masks', () => {
  it('masks every occurrence of every value, skipping empty ones', () => {
    expect(maskValues('a=s3cret b=x s3cret', ['s3cret', ''])).toBe(
      `a=${SECRET_MASK} b=x ${SECRET_MASK}`,
    );
  });

  it('masks raw bytes: a UTF-8 value, and bytes that are not UTF-8 pass through unchanged', () => {
    const chunk = Buffer.concat([
      Buffer.from('pw=pässwörd '),
      Buffer.from([0xff, 0xfe, 0x00]),
      Buffer.from(' end\n'),
    ]);
    const masked = maskSecretBytes(chunk, ['pässwörd']);
    expect(masked).toEqual(
      Buffer.concat([
        Buffer.from(`pw=${SECRET_MASK} `),
        Buffer.from([0xff, 0xfe, 0x00]),
        Buffer.from(' end\n'),
      ]),
    );
    expect(maskSecretBytes(chunk, [])).toBe(chunk);
  });

  it('picks the values of the named variables that have one', () => {
    expect(secretValuesIn({ A: '1', B: '', C: '3' }, ['A', 'B', 'C', 'D'])).toEqual(['1', '3']);
  });

  it('names the secrets on a container by name only, and reads their values back from its env', () => {
    const labels = switchyardLabels({
      service: 'shop',
      environment: 'default',
      revision: 2,
      version: 'v2',
      pool: 'green',
      instanceId: 'shop-default-green-r2-abc',
      env: { DATABASE_URL: 'postgres://u:p=w@db/x', GREETING: 'hi' },
      secretNames: ['DATABASE_URL'],
      stopTimeoutMs: 1000,
    });
    expect(labels[LABEL.secrets]).toBe('DATABASE_URL');
    expect(Object.values(labels).join(' ')).not.toContain('postgres://');
    const info = {
      Config: { Labels: labels, Env: ['GREETING=hi', 'DATABASE_URL=postgres://u:p=w@db/x'] },
    };
    expect(secretValuesOf(info)).toEqual(['postgres://u:p=w@db/x']);
    expect(secretValuesOf({ Config: { Labels: {}, Env: null } })).toEqual([]);
  });
});

describe('secretSafeCut', () => {
  const chunk = (text: string) => Buffer.from(text);

  it('keeps back what could begin a value the next read completes', () => {
    expect(secretSafeCut(chunk('abcdefgh'), ['xyz'])).toBe(6);
  });

  it('moves the cut before a value that would be cut in two', () => {
    // "xyz" at 4..6; the first cut (7 - 2 = 5) falls inside it.
    expect(secretSafeCut(chunk('abcdxyz'), ['xyz'])).toBe(4);
  });

  it('cuts anywhere when there is nothing to mask', () => {
    expect(secretSafeCut(chunk('abcdef'), [])).toBe(6);
    expect(secretSafeCut(chunk('abcdef'), [''])).toBe(6);
  });
});
