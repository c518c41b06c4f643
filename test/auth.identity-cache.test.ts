import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeAccessToken } from '../src/auth/access-tokens.js';
import { eventually } from '../packages/testing/eventually.js';
import { codesOf, startTestPaygraph, type TestPaygraph } from './support/paygraph.js';

/**
 * Two API processes on one database, as a deployment runs them: each keeps the sessions and tokens
 * it verified, and a revocation written through either (or by the CLI) is refused by both at once.
 */
describe('identity cache across API processes', () => {
  let a: TestPaygraph;
  let b: TestPaygraph;
  let admin: pg.Client;
  beforeAll(async () => {
    a = await startTestPaygraph({ roles: { api: true, worker: false } });
    b = await startTestPaygraph({ roles: { api: true, worker: false }, databaseUrl: a.databaseUrl });
    admin = new pg.Client({ connectionString: a.databaseUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await b.stop();
    await a.stop();
  });

  const me = (app: TestPaygraph, token: string) => app.graphql('{ me { id } }', {}, token);
  // Skips the revocation trigger: only the cache can still answer for the token.
  const revokeUnannounced = async (table: 'Session' | 'AccessToken', id: string) => {
    await admin.query('begin');
    await admin.query('set local session_replication_role = replica');
    await admin.query(`update "${table}" set "revokedAt" = now() where id = $1`, [id]);
    await admin.query('commit');
  };

  it('keeps a verified session: a row changed behind its back still answers from the cache', async () => {
    const user = await a.signUp();
    expect((await me(b, user.token)).data!.me.id).toBe(user.userId);
    const session = await a.db.session.findFirstOrThrow({ where: { userId: user.userId } });
    await revokeUnannounced('Session', session.id);
    expect((await me(b, user.token)).data!.me.id).toBe(user.userId);
  });

  // Another process hears of a revocation by NOTIFY after the commit: within milliseconds, not before
  // the revoking request is answered (docs/api.md says so). The revoking process itself never waits.
  it('signoutUser is refused by its own process at once, and by the other as soon as it hears', async () => {
    const user = await a.signUp();
    expect((await me(b, user.token)).data!.me.id).toBe(user.userId);
    expect((await me(a, user.token)).data!.me.id).toBe(user.userId);
    expect((await a.graphql('mutation { signoutUser }', {}, user.token)).data!.signoutUser).toBe(true);
    expect(codesOf(await me(a, user.token))).toEqual(['UNAUTHENTICATED']);
    await eventually(
      () => me(b, user.token),
      (response) => codesOf(response)[0] === 'UNAUTHENTICATED',
    );
  });

  it('the signing-out process refuses the session without waiting for its NOTIFY', async () => {
    const user = await a.signUp();
    expect((await me(a, user.token)).data!.me.id).toBe(user.userId);
    expect((await me(b, user.token)).data!.me.id).toBe(user.userId);
    await admin.query('alter table "Session" disable trigger session_revoked');
    try {
      expect((await a.graphql('mutation { signoutUser }', {}, user.token)).data!.signoutUser).toBe(true);
      expect(codesOf(await me(a, user.token))).toEqual(['UNAUTHENTICATED']);
      // Proof the NOTIFY never came: the other process still answers from what it kept.
      expect((await me(b, user.token)).data!.me.id).toBe(user.userId);
    } finally {
      await admin.query('alter table "Session" enable trigger session_revoked');
    }
  });

  it('an access token revoked by the CLI is refused by every process as soon as it hears', async () => {
    const token = await a.accessToken('nodes:read');
    const read = (app: TestPaygraph) => app.graphql('{ allPurchases { id } }', {}, token);
    expect((await read(a)).errors).toBeUndefined();
    expect((await read(b)).errors).toBeUndefined();
    const row = await a.db.accessToken.findFirstOrThrow({ where: { revokedAt: null }, orderBy: { createdAt: 'desc' } });
    expect(await revokeAccessToken(a.db, row.id)).toBe(1);
    await eventually(
      () => read(a),
      (response) => codesOf(response)[0] === 'UNAUTHENTICATED',
    );
    await eventually(
      () => read(b),
      (response) => codesOf(response)[0] === 'UNAUTHENTICATED',
    );
  });

  it('trusts nothing it kept once its LISTEN connection was lost', async () => {
    const user = await a.signUp();
    expect((await me(b, user.token)).data!.me.id).toBe(user.userId);
    const session = await a.db.session.findFirstOrThrow({ where: { userId: user.userId } });
    await revokeUnannounced('Session', session.id);
    // Every identity-cache listener of this database goes; a revocation may have been missed meanwhile.
    await admin.query(
      `select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and query like '%LISTEN paygraph_auth%'`,
    );
    await eventually(
      () => me(b, user.token),
      (response) => codesOf(response)[0] === 'UNAUTHENTICATED',
    );
    await eventually(
      () => me(a, user.token),
      (response) => codesOf(response)[0] === 'UNAUTHENTICATED',
    );
  });
});
