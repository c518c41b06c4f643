import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isInputObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHooks } from '../src/hooks/load.js';
import { schema } from '../src/schema/index.js';
import { SECRET_MARKER } from '../src/schema/secret-arguments.js';
import { startTestPaygraph, type TestPaygraph } from './support/paygraph.js';
import { startReceiver } from './support/receiver.js';

// A blocking hook is someone else's server: a password or a Stripe client secret never reaches it,
// and no hook can be configured to replace one.
describe('secret arguments and blocking hooks', () => {
  let app: TestPaygraph;
  let hookServer: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    hookServer = await startReceiver(
      (_request, _index, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"allow":true}'),
    );
    app = await startTestPaygraph({
      env: { HOOK_URL: hookServer.url },
      callbacksYaml: `hooks:
  screenSignups:
    before: User.create
    url: \${HOOK_URL}
    mayChange: [name]
  watchCards:
    before: CardDetails.update
    url: \${HOOK_URL}
`,
    });
  });
  afterAll(async () => {
    await app?.stop();
    await hookServer?.close();
  });

  const lastHookBody = () =>
    JSON.parse(hookServer.received.at(-1)!.rawBody) as { hook: string; input: Record<string, any> };

  it('a User.create hook gets the email and name but not the password, and the account still signs in with it', async () => {
    const email = `secret-${Date.now()}@example.com`;
    const asked = hookServer.received.length;
    const user = await app.signUp(email);
    expect(hookServer.received.length).toBe(asked + 1);
    const { rawBody } = hookServer.received.at(-1)!;
    expect(rawBody).not.toContain('correct horse');
    expect(lastHookBody()).toMatchObject({
      hook: 'screenSignups',
      input: { name: 'Test User', authProvider: { email: { email, password: SECRET_MARKER } } },
    });
    // signUp signed in with the real password: the hook's copy was masked, not the mutation's.
    expect(user.token).toEqual(expect.any(String));
  });

  it('a CardDetails.update hook does not get the SetupIntent client secret', async () => {
    const user = await app.signUp();
    const card = await app.graphql(
      'mutation($u: ID!) { createCardDetails(cardToken: "tok_visa", userId: $u) { id } }',
      { u: user.userId },
      user.token,
    );
    const service = await app.accessToken('customers:write');
    const clientSecret = 'seti_1Secret_secret_abcdef';
    await app.graphql(
      'mutation($id: ID!, $s: String) { updateCardDetails(id: $id, status: REQUIRES_ACTION, setupClientSecret: $s, stripeSetupIntentId: "seti_1Secret") { id } }',
      { id: card.data!.createCardDetails.id, s: clientSecret },
      service,
    );
    expect(hookServer.received.at(-1)!.rawBody).not.toContain(clientSecret);
    expect(lastHookBody()).toMatchObject({
      hook: 'watchCards',
      input: { setupClientSecret: SECRET_MARKER, stripeSetupIntentId: 'seti_1Secret', status: 'REQUIRES_ACTION' },
    });
  });

  it('refuses at load a hook whose mayChange would let it replace a password or a client secret', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'paygraph-hooks-')), 'callbacks.yml');
    writeFileSync(
      file,
      `hooks:
  resetPasswords: { before: User.create, url: "http://x.test/", mayChange: [authProvider] }
  settle: { before: Purchase.update, url: "http://x.test/", mayChange: [status, clientSecret] }
`,
    );
    expect(() => loadHooks({ file, schema, defaultSecret: 'whsec_x' })).toThrow(
      /hooks\.resetPasswords: mayChange: authProvider\.email\.password of createUser is a secret[\s\S]*hooks\.settle: mayChange: clientSecret of updatePurchase is a secret/,
    );
  });

  it('every argument or input field named like a password or a secret is marked secret in the schema', () => {
    const looksSecret = /password|secret/i;
    const unmarked: string[] = [];
    const check = (where: string, item: { name: string; extensions?: Readonly<Record<string, unknown>> | null }) => {
      if (looksSecret.test(item.name) && item.extensions?.secret !== true) unmarked.push(`${where}.${item.name}`);
    };
    for (const field of Object.values(schema.getMutationType()!.getFields()))
      for (const arg of field.args) check(field.name, arg);
    for (const type of Object.values(schema.getTypeMap())) {
      if (isInputObjectType(type)) for (const field of Object.values(type.getFields())) check(type.name, field);
    }
    expect(unmarked).toEqual([]);
  });
});
