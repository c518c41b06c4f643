import { describe, expect, it } from 'vitest';
import { createBatcher } from './batcher.js';

describe('createBatcher: calls in one turn of the event loop share one run', () => {
  it('gathers concurrent calls into one run and answers each with its own output', async () => {
    const runs: number[][] = [];
    const double = createBatcher(async (inputs: number[]) => {
      runs.push(inputs);
      return inputs.map((n) => n * 2);
    });
    expect(await Promise.all([1, 2, 3].map(double))).toEqual([2, 4, 6]);
    expect(runs).toEqual([[1, 2, 3]]);
  });

  it('a call alone runs at the next tick, by itself', async () => {
    const runs: number[][] = [];
    const echo = createBatcher(async (inputs: number[]) => (runs.push(inputs), inputs));
    expect(await echo(1)).toBe(1);
    expect(await echo(2)).toBe(2);
    expect(runs).toEqual([[1], [2]]);
  });

  it('never runs more than maxSize inputs at once', async () => {
    const sizes: number[] = [];
    const echo = createBatcher(async (inputs: number[]) => (sizes.push(inputs.length), inputs), 3);
    expect(await Promise.all([1, 2, 3, 4, 5, 6, 7].map(echo))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(sizes).toEqual([3, 3, 1]);
  });

  it('a failed run rejects every call of its batch, and the next batch runs anew', async () => {
    let fail = true;
    const flaky = createBatcher(async (inputs: number[]) => {
      if (fail) throw new Error('database away');
      return inputs;
    });
    const results = await Promise.allSettled([flaky(1), flaky(2)]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await flaky(3)).toBe(3);
  });
});
