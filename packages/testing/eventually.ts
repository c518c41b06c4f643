export interface EventuallyOptions {
  /** Give up after this long (15 s unless given). */
  timeoutMs?: number;
  /** Wait this long between reads (25 ms unless given): a benchmark measuring latency asks for less. */
  intervalMs?: number;
  /** What is waited for, named in the timeout error. */
  what?: string;
}

/**
 * Reads `read` until `accept` holds and returns the accepted value: for state that changes with no
 * event to wait on. Fails after the timeout, naming what it waited for and the last value read; a
 * `read` that throws fails it at once (so a read can stop the wait when waiting is pointless).
 */
export async function eventually<T>(
  read: () => T | Promise<T>,
  accept: (value: T) => boolean = Boolean,
  options: number | EventuallyOptions = {},
): Promise<T> {
  const {
    timeoutMs = 15_000,
    intervalMs = 25,
    what = 'condition',
  } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`${what} not met within ${timeoutMs} ms; last value: ${describe(value)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function describe(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
