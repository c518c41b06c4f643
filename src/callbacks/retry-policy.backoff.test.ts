import { describe, expect, it } from 'vitest';
import { parseRetryAfter, retryDelayMs, retrySpanMs } from './retry-policy.js';

const policy = (random: number) => ({ baseDelayMs: 1000, random: () => random });
const SIX_HOURS = 6 * 3_600_000;

describe('retryDelayMs: exponential backoff with jitter', () => {
  it('doubles from the base delay, ±20%', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(policy(0.5), attempt))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(policy(0), 3)).toBe(3200);
    expect(retryDelayMs(policy(1), 3)).toBe(4800);
  });

  it('is capped at six hours, so 25 attempts span about three days', () => {
    expect(retryDelayMs(policy(0.5), 30)).toBe(SIX_HOURS);
    const total = Array.from({ length: 24 }, (_, i) => retryDelayMs(policy(0.5), i + 1)).reduce((a, b) => a + b, 0);
    expect(total / 86_400_000).toBeGreaterThan(2.5);
    expect(total / 86_400_000).toBeLessThan(3.5);
  });

  it("retrySpanMs is the backoff between the first and the last of a delivery's attempts, without jitter", () => {
    expect(retrySpanMs(policy(0.5), 4)).toBe(1000 + 2000 + 4000);
    expect(retrySpanMs(policy(0.5), 1)).toBe(0);
    const total = Array.from({ length: 24 }, (_, i) => retryDelayMs(policy(0.5), i + 1)).reduce((a, b) => a + b, 0);
    expect(retrySpanMs(policy(0.5), 25)).toBe(total);
  });

  it('waits at least what Retry-After asks, never past the cap', () => {
    expect(retryDelayMs(policy(0.5), 1, 30_000)).toBe(30_000);
    expect(retryDelayMs(policy(0.5), 5, 10)).toBe(16_000);
    expect(retryDelayMs(policy(0.5), 1, 10 * SIX_HOURS)).toBe(SIX_HOURS);
  });
});

describe('parseRetryAfter: seconds or an HTTP date', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');
  it('reads seconds', () => expect(parseRetryAfter('120', now)).toBe(120_000));
  it('reads a date, never below zero', () => {
    expect(parseRetryAfter('Wed, 25 Nov 2026 12:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Wed, 25 Nov 2026 11:00:00 GMT', now)).toBe(0);
  });
  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
