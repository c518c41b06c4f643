import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runMigrations } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type RunningPostgres } from '../src/db/embedded-postgres.js';
import { applyMigrations } from '../src/db/migrations.js';
import { startTestPaygraph, type TestPaygraph } from './support/paygraph.js';
import { eventually, startReceiver } from './support/receiver.js';

// A PostgreSQL of this file's own, so stopping it under load touches no other test.
describe('PostgreSQL goes away under load and comes back', () => {
  let dataDir: string;
  let postgres: RunningPostgres;
  let app: TestPaygraph;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const METRICS_TOKEN = 'metrics-token-for-the-fault-test';

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'paygraph-fault-pg-'));
    postgres = await startEmbeddedPostgres({ dataDir });
    await applyMigrations(postgres.url);
    const pool = new pg.Pool({ connectionString: postgres.url });
    await runMigrations({ pgPool: pool });
    await pool.end();
    receiver = await startReceiver();
    app = await startTestPaygraph({
      databaseUrl: postgres.url,
      env: { RECEIVER_URL: receiver.url, METRICS_TOKEN, STALE_LOCK_GRACE_MS: '1000' },
      callbacksYaml: `callbacks:
  onPurchase:
    trigger: Purchase.created
    url: \${RECEIVER_URL}
    payload: "{ createdNode { id } }"
`,
    });
  });
  afterAll(async () => {
    await app?.stop().catch(() => undefined);
    await receiver?.close();
    await postgres?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const get = (route: string, token?: string) =>
    fetch(`${app.url}${route}`, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(10_000) });

  it('the API and worker live through it, report it, and deliver every committed purchase afterwards', async () => {
    const user = await app.signUp();
    const committed: string[] = [];
    let loading = true;
    const load = (async () => {
      while (loading) {
        const response = await app
          .graphql('mutation($u: ID!) { createPurchase(amount: 100, description: "load", userId: $u) { id } }', { u: user.userId }, user.token)
          .catch(() => null);
        const id = response?.data?.createPurchase?.id;
        if (id) committed.push(id);
        if (!response?.data) await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await eventually(async () => committed.length >= 20, Boolean);

    await postgres.stop();
    await eventually(async () => (await get('/readyz')).status === 503, Boolean);
    // A scrape during the outage answers (503) instead of killing the process.
    expect((await get('/metrics', METRICS_TOKEN)).status).toBe(503);
    expect((await get('/metrics')).status).toBe(401);
    // The process lives: its health probe still answers.
    expect([200, 503]).toContain((await get('/healthz')).status);

    // Back on the same port, as a restarted server or a failed-over address would be.
    postgres = await startEmbeddedPostgres({ dataDir, port: Number(new URL(postgres.url).port) });
    await eventually(async () => (await get('/readyz')).status === 200, Boolean, 20_000);
    await eventually(async () => (await get('/healthz')).status === 200, Boolean, 30_000);
    await eventually(async () => committed.length >= 40, Boolean, 20_000);
    loading = false;
    await load;

    const delivered = () => new Set(receiver.received.map((request) => request.body.event.nodeId));
    await eventually(async () => committed.every((id) => delivered().has(id)), Boolean, 60_000);
    const metrics = await get('/metrics', METRICS_TOKEN);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/paygraph_callback_attempts_total\{callback="onPurchase",outcome="delivered"\}/);
  }, 120_000);
});
