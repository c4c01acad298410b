import { createHmac, randomBytes } from 'node:crypto';
import { signedHeaders, verifySigned } from './signing';
import {
  nextRetryDelayMs,
  parseRetryAfterMs,
  parseRetrySchedule,
  STANDARD_RETRY_SCHEDULE_MS,
} from './retry-schedule';

const secret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

describe('Standard Webhooks signing', () => {
  it('signs v1,<base64 HMAC-SHA256 of id.timestamp.body> keyed by the decoded whsec_ secret', () => {
    const s = secret();
    const at = new Date('2026-12-02T10:00:00Z');
    const h = signedHeaders([s], 'msg_1', at, '{"a":1}');
    const key = Buffer.from(s.slice('whsec_'.length), 'base64');
    const expected = createHmac('sha256', key)
      .update(`msg_1.${at.getTime() / 1000}.{"a":1}`)
      .digest('base64');
    expect(h['webhook-timestamp']).toBe(String(at.getTime() / 1000));
    expect(h['webhook-signature']).toBe(`v1,${expected}`);
  });

  it('carries one signature per valid secret during a rotation; each verifies alone', () => {
    const [oldS, newS] = [secret(), secret()];
    const h = signedHeaders([oldS, newS], 'msg_2', new Date(), 'body');
    expect(h['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verifySigned([oldS], 'body', h)).toBe(true);
    expect(verifySigned([newS], 'body', h)).toBe(true);
    expect(verifySigned([secret()], 'body', h)).toBe(false);
    expect(verifySigned([oldS], 'body tampered', h)).toBe(false);
  });

  it('refuses a stale timestamp', () => {
    const s = secret();
    const h = signedHeaders([s], 'msg_3', new Date(Date.now() - 10 * 60_000), 'b');
    expect(verifySigned([s], 'b', h)).toBe(false);
  });
});

describe('retry schedule', () => {
  it('parses WEBHOOK_RETRY_SCHEDULE and refuses nonsense', () => {
    expect(parseRetrySchedule('1s,2s,4s')).toEqual([1000, 2000, 4000]);
    expect(parseRetrySchedule('500ms, 5m,2h')).toEqual([500, 300_000, 7_200_000]);
    expect(() => parseRetrySchedule('1x')).toThrow(/not a wait/);
    expect(() => parseRetrySchedule('')).toThrow();
  });

  it('follows the standard schedule with at most 10% jitter, then gives up', () => {
    expect(nextRetryDelayMs(1, STANDARD_RETRY_SCHEDULE_MS, { random: () => 0 })).toBe(5_000);
    expect(nextRetryDelayMs(1, STANDARD_RETRY_SCHEDULE_MS, { random: () => 0.999 })).toBe(5_499);
    expect(nextRetryDelayMs(7, STANDARD_RETRY_SCHEDULE_MS, { random: () => 0 })).toBe(36_000_000);
    expect(nextRetryDelayMs(8, STANDARD_RETRY_SCHEDULE_MS)).toBeUndefined();
  });

  it('never retries sooner than Retry-After', () => {
    expect(nextRetryDelayMs(1, [1000], { retryAfterMs: 30_000, random: () => 0 })).toBe(30_000);
    const now = new Date('2026-12-02T10:00:00Z');
    expect(parseRetryAfterMs('120', now)).toBe(120_000);
    expect(parseRetryAfterMs('Wed, 02 Dec 2026 10:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
  });
});
