import { describe, expect, it } from 'vitest';
import { deliveryTiming, probeTiming, serviceBudget, worstCaseMs } from './timing.js';

describe('deliveryTiming: each limit fits inside the next', () => {
  it('attempt < lease < stale lock, and the local queue gives jobs back well before a lock is stale', () => {
    for (const [longestTimeoutMs, staleLockGraceMs] of [
      [15_000, 60_000],
      [1_000, 500],
      [300_000, 60_000],
    ] as const) {
      const timing = deliveryTiming({ longestTimeoutMs, staleLockGraceMs });
      expect(timing.leaseMs).toBeGreaterThan(longestTimeoutMs);
      expect(timing.staleLockMs).toBeGreaterThan(timing.leaseMs);
      expect(timing.localQueueTtlMs).toBeLessThan(timing.staleLockMs);
      expect(timing.localQueueTtlMs).toBeLessThanOrEqual(300_000);
      expect(timing.sweepIntervalMs).toBeGreaterThanOrEqual(1000);
      expect(timing.sweepIntervalMs).toBeLessThanOrEqual(30_000);
    }
  });

  it('the defaults: a 15 s timeout and a 60 s grace', () => {
    expect(deliveryTiming({ longestTimeoutMs: 15_000, staleLockGraceMs: 60_000 })).toEqual({
      leaseMs: 45_000,
      staleLockMs: 75_000,
      localQueueTtlMs: 37_500,
      sweepIntervalMs: 30_000,
      pumpIntervalMs: 1000,
      pumpRetryMaxMs: 10_000,
    });
  });
});

describe('serviceBudget: a service finishes before its callback times out', () => {
  it('Stripe twice, the retry pause and the write-back fit inside the timeout', () => {
    for (const timeoutMs of [3_000, 5_000, 15_000, 60_000]) {
      const budget = serviceBudget(timeoutMs);
      expect(worstCaseMs(budget)).toBeLessThanOrEqual(timeoutMs);
      expect(budget.stripeTimeoutMs).toBeGreaterThan(0);
      expect(budget.writeBackTimeoutMs).toBeGreaterThan(0);
    }
  });

  it('for the default 15 s callback: 4.3 s per Stripe request and 4.3 s for the write-back', () => {
    expect(serviceBudget(15_000)).toMatchObject({
      stripeTimeoutMs: 4_333,
      stripeRetries: 1,
      writeBackTimeoutMs: 4_333,
      marginMs: 1_500,
    });
  });

  it('refuses a timeout too short for any Stripe call', () => {
    expect(() => serviceBudget(500)).toThrow(/no time/);
  });
});

describe('probeTiming: a check gives up before its probe must answer', () => {
  it('leaves a tenth of PROBE_TIMEOUT_MS, at least 50 ms, for the answer', () => {
    expect(probeTiming(2_000)).toEqual({ answerMs: 2_000, checkMs: 1_800 });
    expect(probeTiming(100)).toEqual({ answerMs: 100, checkMs: 50 });
    for (const timeoutMs of [100, 1_000, 2_000, 30_000]) {
      const { answerMs, checkMs } = probeTiming(timeoutMs);
      expect(checkMs).toBeGreaterThan(0);
      expect(checkMs).toBeLessThan(answerMs);
    }
  });
});
