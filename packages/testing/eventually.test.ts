import { describe, expect, it } from 'vitest';
import { eventually } from './eventually.js';

describe('eventually', () => {
  it('returns the first value the condition accepts, reading again until then', async () => {
    let reads = 0;
    const value = await eventually(
      async () => ++reads,
      (count) => count >= 3,
      { intervalMs: 1 },
    );
    expect(value).toBe(3);
    expect(reads).toBe(3);
  });

  it('fails after its timeout, naming what it waited for and the last value it read', async () => {
    const started = Date.now();
    await expect(
      eventually(
        () => ({ status: 'PENDING' }),
        (row) => row.status === 'PAID',
        { timeoutMs: 60, intervalMs: 5, what: 'the purchase to be paid' },
      ),
    ).rejects.toThrow('the purchase to be paid not met within 60 ms; last value: {"status":"PENDING"}');
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
  });

  it('stops at once when a read throws: a wait that cannot succeed says why', async () => {
    const started = Date.now();
    await expect(eventually(() => Promise.reject(new Error('the process exited')), Boolean, 10_000)).rejects.toThrow(
      'the process exited',
    );
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
