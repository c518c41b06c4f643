import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type RunningPostgres } from '../src/db/embedded-postgres.js';
import { freePort } from '../packages/base/free-port.js';
import { startOwnPostgres } from './support/database.js';
import { startTestPaygraph, type TestPaygraph } from './support/paygraph.js';
import { processTree } from './support/processes.js';
import { eventually } from '../packages/testing/eventually.js';

const PROBE_TIMEOUT_MS = 1_500;
// Loopback HTTP on a busy 2-core machine: what an answer may take beyond the server's own limit.
const NETWORK_SLACK_MS = 750;

// A PostgreSQL of this file's own: freezing it (SIGSTOP, as a stalled VM or a network that drops
// packets looks to its clients) and stopping it touch no other test.
describe('probes while PostgreSQL is frozen, then down', () => {
  let dataDir: string;
  let postgres: RunningPostgres;
  let api: TestPaygraph;
  let worker: TestPaygraph;
  let frozen: number[] = [];
  // The API (with its in-process worker) and a worker-only process on its METRICS_PORT: both answer the same way.
  const bases = () => ({ api: api.url, worker: workerBase });
  let workerBase: string;

  beforeAll(async () => {
    ({ dataDir, postgres } = await startOwnPostgres('paygraph-probes-pg-'));
    const env = { PROBE_TIMEOUT_MS: String(PROBE_TIMEOUT_MS) };
    api = await startTestPaygraph({ databaseUrl: postgres.url, env });
    const metricsPort = await freePort();
    workerBase = `http://127.0.0.1:${metricsPort}`;
    worker = await startTestPaygraph({
      databaseUrl: postgres.url,
      roles: { api: false, worker: true },
      env: { ...env, METRICS_PORT: String(metricsPort) },
    });
  });
  afterAll(async () => {
    thaw();
    await api?.stop().catch(() => undefined);
    await worker?.stop().catch(() => undefined);
    await postgres?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // The postmaster first, so that it forks no backend the list below would miss.
  const freeze = () => {
    const postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(postmaster, 'SIGSTOP');
    frozen = processTree(postmaster);
    for (const pid of frozen) process.kill(pid, 'SIGSTOP');
  };
  function thaw() {
    for (const pid of frozen) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // Gone already.
      }
    }
    frozen = [];
  }

  const probe = async (base: string, route: string) => {
    const started = performance.now();
    const response = await fetch(`${base}${route}`, { signal: AbortSignal.timeout(15_000) });
    const body = await response.text();
    return { status: response.status, body, ms: performance.now() - started };
  };
  const checksOf = (body: string) => (JSON.parse(body) as { checks: Record<string, string> }).checks;
  const allReady = async () =>
    (await Promise.all(Object.values(bases()).map((base) => probe(base, '/readyz')))).every(
      (answer) => answer.status === 200,
    );

  it('every probe answers within PROBE_TIMEOUT_MS: /readyz 503 naming the database, /healthz 200, /metrics without the database', async () => {
    await eventually(allReady, Boolean, 20_000);
    freeze();
    // Twice: probes that gave up on the frozen server must not leave the next ones waiting behind them.
    for (const round of [1, 2]) {
      for (const [name, base] of Object.entries(bases())) {
        const [ready, live, metrics] = await Promise.all([
          probe(base, '/readyz'),
          probe(base, '/healthz'),
          probe(base, '/metrics'),
        ]);
        for (const answer of [ready, live, metrics])
          expect(answer.ms, `${name}, round ${round}`).toBeLessThan(PROBE_TIMEOUT_MS + NETWORK_SLACK_MS);
        expect(ready.status).toBe(503);
        expect(checksOf(ready.body).database).toMatch(/^no answer within \d+ ms$/);
        expect(live.status).toBe(200);
        expect(metrics.status).toBe(200);
        expect(metrics.body).toMatch(/^paygraph_database_up 0$/m);
        // NaN, as prom-client spells it ("Nan"; Prometheus reads either).
        expect(metrics.body).toMatch(/^paygraph_callback_queue_depth nan$/im);
        // What needs no database is still there.
        expect(metrics.body).toMatch(/^paygraph_process_cpu_user_seconds_total \d/m);
      }
    }

    thaw();
    await eventually(allReady, Boolean, 20_000);
    for (const base of Object.values(bases()))
      expect((await probe(base, '/metrics')).body).toMatch(/^paygraph_database_up 1$/m);
  }, 90_000);

  it('a database outage is readiness, not liveness: /healthz stays 200 while the worker waits for it, /readyz is 200 again after', async () => {
    thaw();
    await eventually(allReady, Boolean, 20_000);
    const port = Number(new URL(postgres.url).port);
    await postgres.stop();
    for (const [name, base] of Object.entries(bases())) {
      // Until the worker has noticed (it is restarting, or its LISTEN connection is gone), or liveness gave way.
      const { ready, live } = await eventually(
        async () => ({ ready: await probe(base, '/readyz'), live: await probe(base, '/healthz') }),
        ({ ready, live }) =>
          live.status !== 200 ||
          (ready.status === 503 && ![undefined, 'running'].includes(checksOf(ready.body).worker)),
        30_000,
      );
      expect(live.status, `${name}: ${live.body}`).toBe(200);
      expect(JSON.parse(live.body)).toMatchObject({ status: 'ok' });
      expect(ready.status, name).toBe(503);
      expect(checksOf(ready.body).database, name).toBe('unreachable');
    }

    // Back on the same port, as a restarted server or a failed-over address would be.
    postgres = await startEmbeddedPostgres({ dataDir, port });
    await eventually(allReady, Boolean, 45_000);
    for (const base of Object.values(bases())) expect((await probe(base, '/healthz')).status).toBe(200);
  }, 120_000);
});
