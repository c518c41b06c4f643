import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../packages/base/free-port.js';
import { TEST_SIGNING_SECRET } from '../../packages/testing/signing-secret.js';
import type { GraphQLResponse } from './paygraph.js';

/**
 * The environment `npm start` gets in tests: its own database, data directory and free ports, and no
 * Stripe key from the caller's shell, so the local Stripe is the one it starts.
 */
export async function localStackEnv(
  databaseUrl: string,
  dataDirPrefix: string,
): Promise<{ env: NodeJS.ProcessEnv; apiUrl: string; dataDir: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), dataDirPrefix));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    CREATE_CUSTOMER_PORT: String(await freePort()),
    CHARGE_CUSTOMER_PORT: String(await freePort()),
    CALLBACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    LOG_LEVEL: 'warn',
  };
  delete env.STRIPE_SECRET_KEY;
  delete env.STRIPE_WEBHOOK_SECRET;
  return { env, apiUrl: `http://127.0.0.1:${port}`, dataDir };
}

/** A GraphQL request to the API `npm start` runs at `apiUrl`. */
export async function stackGraphql(
  apiUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<GraphQLResponse<any>> {
  const response = await fetch(`${apiUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLResponse<any>;
}

/** A new user of that API, signed in, as the tutorial makes one. */
export async function stackSignUp(apiUrl: string, email: string): Promise<{ userId: string; token: string }> {
  const userId = (
    await stackGraphql(
      apiUrl,
      'mutation($e: String!) { createUser(name: "Nilan", authProvider: { email: { email: $e, password: "correct horse" } }) { id } }',
      { e: email },
    )
  ).data!.createUser.id as string;
  const token = (
    await stackGraphql(
      apiUrl,
      'mutation($e: String!) { signinUser(email: { email: $e, password: "correct horse" }) { token } }',
      { e: email },
    )
  ).data!.signinUser.token as string;
  return { userId, token };
}
