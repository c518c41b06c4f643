import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type RunningPostgres } from '../src/db/embedded-postgres.js';
import { createTestDatabase, startOwnPostgres } from './support/database.js';
import { startTestPaygraph, type TestPaygraph } from './support/paygraph.js';
import { alive, processTree } from './support/processes.js';
import { eventually } from '../packages/testing/eventually.js';
import { startReceiver } from './support/receiver.js';

// A PostgreSQL of this file's own, so stopping it under load touches no other test.
describe('PostgreSQL goes away under load and comes back', () => {
  let dataDir: string;
  let postgres: RunningPostgres;
  let app: TestPaygraph;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const METRICS_TOKEN = 'metrics-token-for-the-fault-test';

  beforeAll(async () => {
    ({ dataDir, postgres } = await startOwnPostgres('paygraph-fault-pg-'));
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
    fetch(`${app.url}${route}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(10_000),
    });

  it('the API and worker live through it, report it, and deliver every committed purchase afterwards', async () => {
    const user = await app.signUp();
    const committed: string[] = [];
    let loading = true;
    const load = (async () => {
      while (loading) {
        const response = await app
          .graphql(
            'mutation($u: ID!) { createPurchase(amount: 100, description: "load", userId: $u) { id } }',
            { u: user.userId },
            user.token,
          )
          .catch(() => null);
        const id = response?.data?.createPurchase?.id;
        if (id) committed.push(id);
        if (!response?.data) await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await eventually(async () => committed.length >= 20, Boolean);

    await postgres.stop();
    await eventually(async () => (await get('/readyz')).status === 503, Boolean);
    // A scrape during the outage answers with what needs no database instead of killing the process.
    const scrape = await get('/metrics', METRICS_TOKEN);
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toMatch(/^paygraph_database_up 0$/m);
    expect((await get('/metrics')).status).toBe(401);
    // The process lives, and recovers by itself: liveness stays 200.
    expect((await get('/healthz')).status).toBe(200);

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
    expect(await metrics.text()).toMatch(
      /paygraph_callback_attempts_total\{callback="onPurchase",outcome="delivered"\}/,
    );
  }, 120_000);
});

describe('PostgreSQL killed, and its pid taken by another process after a restart', () => {
  it('the next start runs the server again, with its data, instead of pointing at a dead port', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'paygraph-pid-reuse-pg-'));
    let unrelated: ReturnType<typeof spawn> | undefined;
    let second: RunningPostgres | undefined;
    try {
      const first = await startEmbeddedPostgres({ dataDir });
      // Run as PostgreSQL's own user (run as root, PostgreSQL drops to one), as in a container
      // where every process has one user: PostgreSQL ignores a pid file naming another user's process.
      const { uid, gid } = statSync(`${dataDir}/PG_VERSION`);
      unrelated = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60_000)'], { stdio: 'ignore', uid, gid });
      const client = new pg.Client({ connectionString: first.url });
      await client.connect();
      await client.query(`create table kept (note text); insert into kept values ('before the crash')`);
      await client.end();

      // Killed with no chance to clean up (power loss, docker kill, OOM): postmaster.pid stays.
      const pidFile = `${dataDir}/postmaster.pid`;
      const lines = readFileSync(pidFile, 'utf8').split('\n');
      const postmaster = Number(lines[0]);
      const processes = processTree(postmaster);
      process.kill(postmaster, 'SIGKILL');
      await eventually(
        async () => processes.some(alive),
        (anyAlive) => !anyAlive,
      );
      // After the restart, the old pid belongs to some other live process.
      lines[0] = String(unrelated.pid);
      writeFileSync(pidFile, lines.join('\n'));

      second = await startEmbeddedPostgres({ dataDir });
      expect(second.reused).toBe(false);
      const after = new pg.Client({ connectionString: second.url });
      await after.connect();
      const { rows } = await after.query('select note from kept');
      await after.end();
      expect(rows).toEqual([{ note: 'before the crash' }]);
    } finally {
      unrelated?.kill('SIGKILL');
      await second?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

// What main.ts does on SIGTERM, while a blocking hook holds a mutation open.
describe('the API stops while a mutation is in flight', () => {
  it('answers the mutation it already accepted, once, and refuses new connections meanwhile', async () => {
    let holdHook: (res: ServerResponse) => void = () => undefined;
    const hookHeld = new Promise<ServerResponse>((resolve) => (holdHook = resolve));
    const hookServer = await startReceiver((_request, _index, res) => {
      holdHook(res);
      return 'hang';
    });
    // A database of the test's own, so that it outlives the stop and shows what was committed.
    const database = await createTestDatabase();
    const app = await startTestPaygraph({
      databaseUrl: database.url,
      roles: { api: true, worker: false },
      env: { HOOK_URL: hookServer.url },
      callbacksYaml: 'callbacks: {}\nhooks:\n  slow:\n    before: User.create\n    url: ${HOOK_URL}\n    timeout: 5s\n',
    });
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    let stopped: Promise<void> | undefined;
    try {
      const email = `in-flight-${Date.now()}@example.com`;
      const signUp = app.graphql(
        'mutation($e: String!) { createUser(name: "X", authProvider: { email: { email: $e, password: "correct horse" } }) { id } }',
        { e: email },
      );
      const hook = await hookHeld;
      stopped = app.stop();
      await eventually(() => refusesConnections(app.url), Boolean);
      hook.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ allow: true }));
      const answer = await signUp;
      await stopped;
      expect(answer.errors).toBeUndefined();
      const rows = await db.query('select id from "User" where email = $1', [email]);
      expect(rows.rows).toEqual([{ id: answer.data!.createUser.id }]);
    } finally {
      await db.end();
      await (stopped ?? app.stop()).catch(() => undefined);
      await hookServer.close();
      await database.drop();
    }
  }, 30_000);
});

const refusesConnections = (url: string) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(Number(new URL(url).port), new URL(url).hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
