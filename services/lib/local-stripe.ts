import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { freePort } from '../../src/free-port.js';
import { setTimeout as delay } from 'node:timers/promises';

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

export interface LocalStripe {
  /** Give it to the services as STRIPE_API_URL, e.g. http://127.0.0.1:40123 */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `stripe-stateful-mock`, a Stripe-compatible server (tokens, customers, sources, charges,
 * idempotency keys; all in memory, no Stripe account), in its own process on a free port. For
 * development and tests. Note: it listens on every interface, as its CLI offers no host setting.
 */
export async function startLocalStripe(): Promise<LocalStripe> {
  const port = await freePort();
  const cli = createRequire(import.meta.url).resolve('stripe-stateful-mock/dist/cli.js');
  const child = spawn(process.execPath, [cli], {
    env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-2_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  // A test runner that dies must not leave the server behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (!running()) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await answers(url))) {
    if (!running() || Date.now() > deadline) {
      await stop();
      throw new Error(`the local Stripe server did not start on port ${port}${stderr ? `: ${stderr.trim()}` : ''}`);
    }
    await delay(50);
  }
  return { url, stop };
}

/** Whether the server answers a Stripe API request (any HTTP status counts: it is listening and routing). */
async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/v1/customers?limit=1`, {
      headers: { authorization: 'Bearer sk_test_probe' },
      signal: AbortSignal.timeout(1_000),
    });
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
}
