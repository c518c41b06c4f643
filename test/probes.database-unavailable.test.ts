import { rmSync } from 'node:fs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { eventually } from '../packages/testing/eventually.js';
import { startOwnPostgres } from './support/database.js';
import { startTestPaygraph } from './support/paygraph.js';

interface LogLine {
  level: number;
  msg: string;
}
const WARN = 40;
const ERROR = 50;

describe('requests while PostgreSQL is down', () => {
  it('are answered 503 with Retry-After and DATABASE_UNAVAILABLE, logged once, and served again when it is back', async () => {
    // A PostgreSQL of this test's own, so stopping it touches no other test.
    const own = await startOwnPostgres('paygraph-unavailable-pg-');
    let postgres = own.postgres;
    const lines: LogLine[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
    // The API alone: what the worker logs while the database is away is callbacks' business (callbacks.pump-backoff).
    const app = await startTestPaygraph({ databaseUrl: postgres.url, logger, roles: { api: true, worker: false } });
    const post = (query: string, token?: string) =>
      fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query }),
      });
    try {
      const user = await app.signUp();
      await postgres.stop();
      const queries = [
        `mutation { createPurchase(amount: 100, description: "while down", userId: "${user.userId}") { id } }`,
        'mutation { signinUser(email: { email: "nobody@example.com", password: "correct horse" }) { token } }',
        '{ allPurchases { id } }',
      ];
      for (let round = 0; round < 4; round++) {
        for (const query of queries) {
          const response = await post(query, user.token);
          const body = (await response.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
          expect(response.status).toBe(503);
          expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
          expect(body.errors?.map((error) => error.extensions?.code)).toEqual(['DATABASE_UNAVAILABLE']);
          // Nothing about the connection, the server or SQL reaches the client.
          expect(JSON.stringify(body)).not.toMatch(/ECONN|127\.0\.0\.1|postgres|select|insert/i);
        }
      }
      // Twelve requests answered, one warning about it, no error lines.
      expect(lines.filter((line) => line.level >= ERROR)).toEqual([]);
      expect(lines.filter((line) => line.level === WARN && /unavailable/.test(line.msg))).toHaveLength(1);

      postgres = await startEmbeddedPostgres({ dataDir: own.dataDir, port: Number(new URL(postgres.url).port) });
      const served = await eventually(
        async () => (await post(queries[2]!, user.token)).status,
        (status) => status === 200,
        20_000,
      );
      expect(served).toBe(200);
    } finally {
      await app.stop().catch(() => undefined);
      await postgres.stop();
      rmSync(own.dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
