import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startPaygraph, type Paygraph } from '../../src/app.js';
import { createAccessToken } from '../../src/auth/access-tokens.js';
import type { Scope } from '../../packages/base/scopes.js';
import { loadConfig } from '../../src/config.js';
import { createLogger, type Logger } from '../../packages/base/logger.js';
import { TEST_SIGNING_SECRET } from '../../packages/testing/signing-secret.js';
import { createTestDatabase } from './database.js';

export interface GraphQLResponse<T = Record<string, any>> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; [key: string]: unknown } }[];
}

export interface TestPaygraph extends Paygraph {
  url: string;
  databaseUrl: string;
  callbacksFile: string;
  /** The callbacks' own secrets this start made, as `npm start` prints them once. */
  generatedSecrets: Map<string, string>;
  graphql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
  ): Promise<GraphQLResponse<T>>;
  signUp(email?: string): Promise<{ userId: string; token: string; email: string }>;
  accessToken(...scopes: Scope[]): Promise<string>;
}

let userCounter = 0;

/** A real Paygraph (API and worker) on its own fresh database, listening on an ephemeral loopback port. */
export async function startTestPaygraph(
  options: {
    callbacksYaml?: string;
    env?: Record<string, string>;
    roles?: { api: boolean; worker: boolean };
    databaseUrl?: string;
    /** For a test that reads what the process logs. */
    logger?: Logger;
  } = {},
): Promise<TestPaygraph> {
  const database = options.databaseUrl
    ? { url: options.databaseUrl, drop: async () => undefined }
    : await createTestDatabase();
  const callbacksFile = path.join(mkdtempSync(path.join(tmpdir(), 'paygraph-callbacks-')), 'callbacks.yml');
  writeFileSync(callbacksFile, options.callbacksYaml ?? 'callbacks: {}\n');
  const env = {
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    PORT: '0',
    HOST: '127.0.0.1',
    CALLBACKS_FILE: callbacksFile,
    CALLBACK_RETRY_BASE_MS: '50',
    WORKER_CONCURRENCY: '8',
    // Every test's users sign up from the one loopback address; test/auth.signup-limits.test.ts sets its own limit.
    SIGNUP_MAX_PER_ADDRESS: '10000',
    ...options.env,
  };
  const generatedSecrets = new Map<string, string>();
  const app = await startPaygraph({
    onSecretGenerated: (name, secret) => generatedSecrets.set(name, secret),
    config: loadConfig(env),
    databaseUrl: database.url,
    signingSecret: TEST_SIGNING_SECRET,
    logger: options.logger ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    roles: options.roles ?? { api: true, worker: true },
    env,
  });
  const graphql: TestPaygraph['graphql'] = async (query, variables, token) => {
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphQLResponse<any>;
  };
  return {
    ...app,
    url: app.url ?? '',
    databaseUrl: database.url,
    callbacksFile,
    generatedSecrets,
    graphql,
    async signUp(email = `user${++userCounter}-${Date.now()}@example.com`) {
      const created = await graphql<{ createUser: { id: string } }>(
        'mutation($email: String!) { createUser(name: "Test User", authProvider: { email: { email: $email, password: "correct horse" } }) { id } }',
        { email },
      );
      if (!created.data?.createUser) throw new Error(`sign-up failed: ${JSON.stringify(created.errors)}`);
      const signedIn = await graphql<{ signinUser: { token: string } }>(
        'mutation($email: String!) { signinUser(email: { email: $email, password: "correct horse" }) { token } }',
        { email },
      );
      return { userId: created.data.createUser.id, token: signedIn.data!.signinUser.token, email };
    },
    async accessToken(...scopes) {
      return (await createAccessToken(app.db, `test ${scopes.join(' ')}`, scopes)).token;
    },
    async stop() {
      await app.stop();
      await database.drop();
    },
  };
}

export const codesOf = (response: GraphQLResponse) => (response.errors ?? []).map((error) => error.extensions?.code);
