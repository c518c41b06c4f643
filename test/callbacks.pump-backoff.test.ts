import { rmSync } from 'node:fs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { startOwnPostgres } from './support/database.js';
import { startTestPaygraph } from './support/paygraph.js';
import { eventually } from '../packages/testing/eventually.js';
import { startReceiver } from './support/receiver.js';

interface LogLine {
  level: number;
  time: number;
  msg: string;
  failingMs?: number;
}
const DEBUG = 20;
const WARN = 40;

describe('callbacks: the backlog pump while PostgreSQL is down', () => {
  it('waits longer after each failure, says it is failing once, and once how long when it works again', async () => {
    // A PostgreSQL of this test's own, so stopping it touches no other test.
    const own = await startOwnPostgres('paygraph-pump-backoff-pg-');
    let postgres = own.postgres;
    const receiver = await startReceiver();
    const pumpLines: LogLine[] = [];
    const logger = pino(
      { level: 'debug' },
      {
        write(line: string) {
          const parsed = JSON.parse(line) as LogLine;
          if (parsed.msg?.includes('backlog pump')) pumpLines.push(parsed);
        },
      },
    );
    const app = await startTestPaygraph({
      databaseUrl: postgres.url,
      logger,
      // The pump looks every 10 ms: retried at once, a failing one would fail thousands of times a second.
      env: { RECEIVER_URL: receiver.url, CALLBACK_PUMP_INTERVAL_MS: '10' },
      callbacksYaml:
        'callbacks:\n  onPurchase:\n    trigger: Purchase.created\n    url: ${RECEIVER_URL}\n    payload: "{ createdNode { id } }"\n',
    });
    try {
      await postgres.stop();
      // Each failed try is one debug line; the failing state's beginning is the one warning.
      const failures = await eventually(
        async () => pumpLines.filter((line) => line.level === DEBUG),
        (lines) => lines.length >= 6,
      );
      // 10, 20, 40, 80 and 160 ms between the first six tries.
      expect(failures[5]!.time - failures[0]!.time).toBeGreaterThanOrEqual(300);
      expect(pumpLines.filter((line) => line.level >= WARN)).toHaveLength(1);

      // Back on the same port, as a restarted server would be; until then it was down at least this long.
      const downAtLeastMs = Date.now() - failures[0]!.time;
      postgres = await startEmbeddedPostgres({ dataDir: own.dataDir, port: Number(new URL(postgres.url).port) });
      const recovered = await eventually(
        async () => pumpLines.find((line) => line.failingMs !== undefined),
        Boolean,
        20_000,
      );
      expect(recovered!.failingMs).toBeGreaterThanOrEqual(downAtLeastMs);
      expect(pumpLines.filter((line) => line.level >= WARN)).toHaveLength(1);

      const user = await app.signUp();
      const created = await app.graphql(
        'mutation($u: ID!) { createPurchase(amount: 100, description: "after", userId: $u) { id } }',
        { u: user.userId },
        user.token,
      );
      const id = created.data?.createPurchase?.id as string;
      expect(id).toBeTruthy();
      await eventually(
        async () => receiver.received.some((request) => request.body.event.nodeId === id),
        Boolean,
        20_000,
      );
    } finally {
      await app.stop().catch(() => undefined);
      await receiver.close();
      await postgres.stop();
      rmSync(own.dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
