import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../packages/base/free-port.js';
import { startTestPaygraph, type TestPaygraph } from './support/paygraph.js';

describe('a worker-only process answers health checks on METRICS_PORT', () => {
  let worker: TestPaygraph;
  let base: string;
  let stopped = false;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    worker = await startTestPaygraph({ roles: { api: false, worker: true }, env: { METRICS_PORT: String(port) } });
  });

  afterAll(async () => {
    if (!stopped) await worker?.stop();
  });

  it('serves /healthz, /readyz and /metrics, and nothing else', async () => {
    const status = async (route: string) => (await fetch(`${base}${route}`)).status;
    expect(await status('/healthz')).toBe(200);
    expect(await status('/readyz')).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('paygraph_callback_queue_depth');
    expect(await status('/graphql')).toBe(404);
  });

  it('closes the port when it stops', async () => {
    stopped = true;
    await worker.stop();
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
