import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import type { RunningPostgres } from '../src/db/embedded-postgres.js';
import { eventually } from '../packages/testing/eventually.js';
import { TEST_SIGNING_SECRET } from '../packages/testing/signing-secret.js';
import { startOwnPostgres } from './support/database.js';
import { graphqlAt, signUpAt, startPaygraphProcess, type PaygraphProcess } from './support/paygraph-process.js';
import { pgbouncerMissing, startPgBouncer } from './support/pgbouncer.js';
import { startReceiver } from './support/receiver.js';

// Only a notification can deliver fast here: the dispatcher's pump, which finds what no notification
// announced, looks every 30 s.
const PUMP_INTERVAL_MS = 30_000;

describe('DATABASE_DIRECT_URL', () => {
  const pooler = 'postgresql://app:secret@pgbouncer:6432/paygraph';
  const direct = 'postgresql://app:secret@postgres:5432/paygraph';
  it('naming PostgreSQL apart from a pooler turns named statements off, unless asked for', () => {
    expect(loadConfig({ DATABASE_URL: direct }).DATABASE_PREPARED_STATEMENTS).toBe(true);
    expect(loadConfig({ DATABASE_URL: direct, DATABASE_DIRECT_URL: direct }).DATABASE_PREPARED_STATEMENTS).toBe(true);
    expect(loadConfig({ DATABASE_URL: pooler, DATABASE_DIRECT_URL: direct }).DATABASE_PREPARED_STATEMENTS).toBe(false);
    const asked = { DATABASE_URL: pooler, DATABASE_DIRECT_URL: direct, DATABASE_PREPARED_STATEMENTS: 'true' };
    expect(loadConfig(asked).DATABASE_PREPARED_STATEMENTS).toBe(true);
  });
});

describe.skipIf(pgbouncerMissing !== null)(
  pgbouncerMissing ?? 'an API and a worker behind PgBouncer in transaction mode, PostgreSQL itself for sessions',
  () => {
    let dataDir: string;
    let postgres: RunningPostgres;
    let bouncer: Awaited<ReturnType<typeof startPgBouncer>>;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let api: PaygraphProcess;
    let worker: PaygraphProcess;
    const scratch = mkdtempSync(path.join(tmpdir(), 'paygraph-pgbouncer-test-'));

    beforeAll(async () => {
      ({ dataDir, postgres } = await startOwnPostgres('paygraph-pgbouncer-pg-'));
      bouncer = await startPgBouncer(postgres.url);
      receiver = await startReceiver();
      const callbacksFile = path.join(scratch, 'callbacks.yml');
      writeFileSync(
        callbacksFile,
        'callbacks:\n  onPurchase:\n    trigger: Purchase.created\n    url: ${RECEIVER_URL}\n    payload: "{ createdNode { id } }"\n',
      );
      const env = {
        DATABASE_URL: bouncer.url,
        DATABASE_DIRECT_URL: postgres.url,
        DATA_DIR: scratch,
        CALLBACKS_FILE: callbacksFile,
        CALLBACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
        RECEIVER_URL: receiver.url,
        CALLBACK_PUMP_INTERVAL_MS: String(PUMP_INTERVAL_MS),
      };
      [api, worker] = await Promise.all([startPaygraphProcess('api', env), startPaygraphProcess('worker', env)]);
    }, 90_000);

    afterAll(async () => {
      await Promise.all([api?.stop(), worker?.stop()]);
      await bouncer?.stop();
      await receiver?.close();
      await postgres?.stop();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(scratch, { recursive: true, force: true });
    });

    it('the mutations go through PgBouncer, and each delivery arrives in milliseconds, not at the next poll', async () => {
      const transactionsBefore = await pgbouncerTransactions(bouncer.url);
      const user = await signUpAt(api.url!, `bouncer-${Date.now()}@example.com`).catch((err) => {
        throw new Error(`${err.message}\n${api.output()}`);
      });
      const latencies: number[] = [];
      for (let i = 0; i < 20; i++) {
        // Sent before the commit: an upper bound of commit → arrival.
        const sentAt = Date.now();
        const answer = await graphqlAt(
          api.url!,
          'mutation($u: ID!) { createPurchase(amount: 100, description: "via pgbouncer", userId: $u) { id } }',
          { u: user.userId },
          user.token,
        );
        const id = answer.data?.createPurchase?.id as string | undefined;
        expect(answer.errors, api.output()).toBeUndefined();
        const arrival = await eventually(
          () => receiver.received.find((request) => request.body.event.nodeId === id),
          Boolean,
          { timeoutMs: PUMP_INTERVAL_MS / 2, intervalMs: 2, what: `the callback of purchase ${id}` },
        );
        latencies.push(arrival!.receivedAt - sentAt);
      }
      latencies.sort((a, b) => a - b);
      const p50 = latencies[Math.floor(latencies.length / 2)]!;
      // The mutation's own round trip included; a delivery left to the pump would wait up to 30 s.
      expect(p50, `latencies ${latencies.join(', ')} ms`).toBeLessThan(500);
      // The API's transactions went through PgBouncer, not around it.
      expect((await pgbouncerTransactions(bouncer.url)) - transactionsBefore).toBeGreaterThanOrEqual(20);
      expect(api.output() + worker.output()).not.toMatch(/prepared statement .* (does not )?exist/);
    }, 60_000);
  },
);

/** Transactions PgBouncer has passed to PostgreSQL so far (its admin console's SHOW STATS). */
async function pgbouncerTransactions(bouncerUrl: string): Promise<number> {
  const url = new URL(bouncerUrl);
  url.pathname = '/pgbouncer';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ database: string; total_xact_count: string }>('SHOW STATS');
    return rows.reduce((sum, row) => sum + (row.database === 'pgbouncer' ? 0 : Number(row.total_xact_count)), 0);
  } finally {
    await admin.end();
  }
}
