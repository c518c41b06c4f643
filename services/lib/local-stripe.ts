import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';

/**
 * Starts `stripe-stateful-mock`, a Stripe-compatible server, on a free loopback port: tokens,
 * customers, sources and charges with idempotency, and no Stripe account. For development and tests.
 */
export async function startLocalStripe(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const cli = createRequire(import.meta.url).resolve('stripe-stateful-mock/dist/cli.js');
  const child = spawn(process.execPath, [cli], { env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn' }, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  while (!(await answers(url))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new Error('the local Stripe server did not start');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill();
        await exited;
      }
    },
  };
}

const answers = (url: string) =>
  fetch(`${url}/v1/customers?limit=1`, { headers: { authorization: 'Bearer sk_test_probe' } }).then(() => true, () => false);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
