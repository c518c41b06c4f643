import { spawn, type ChildProcess } from 'node:child_process';
import { launcherArgs } from '../../packages/base/launcher.js';
import { freePort } from '../../packages/base/free-port.js';
import type { GraphQLResponse } from './paygraph.js';

export interface PaygraphProcess {
  child: ChildProcess;
  /** The API's base URL (role `api`); null for a worker. */
  url: string | null;
  /** The process's last lines of output, for a failure's message. */
  output(): string;
  /** SIGKILL: no shutdown, no release of anything it held (a crashed node, an OOM kill). */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `npm run api` / `npm run worker` (src/main.ts with a role) in a process of its own, as a deployment
 * runs each node: resolves once it logs that it is ready. `env` adds to this process's environment.
 */
export async function startPaygraphProcess(
  role: 'api' | 'worker',
  env: Record<string, string>,
): Promise<PaygraphProcess> {
  const port = role === 'api' ? await freePort() : 0;
  const child = spawn(process.execPath, launcherArgs('../../src/main', import.meta.url).concat(role), {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      SIGNUP_MAX_PER_ADDRESS: '10000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const ready = () => output.includes('Paygraph is ready') && (child.stdout!.off('data', ready), resolve());
    child.stdout!.on('data', ready);
    void exited.then(() => reject(new Error(`paygraph ${role} exited before it was ready:\n${output}`)));
  });
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    child,
    url: role === 'api' ? `http://127.0.0.1:${port}` : null,
    output: () => output,
    kill: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
  };
}

/** A GraphQL request to an API process, as a client sends it. */
export async function graphqlAt<T = Record<string, any>>(
  apiUrl: string,
  query: string,
  variables?: Record<string, unknown>,
  token?: string,
): Promise<GraphQLResponse<T>> {
  const response = await fetch(`${apiUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(20_000),
  });
  return (await response.json()) as GraphQLResponse<T>;
}

/** A new user, signed in through the API at `apiUrl`. */
export async function signUpAt(apiUrl: string, email: string): Promise<{ userId: string; token: string }> {
  const created = await graphqlAt<{ createUser: { id: string } }>(
    apiUrl,
    'mutation($email: String!) { createUser(name: "Test User", authProvider: { email: { email: $email, password: "correct horse" } }) { id } }',
    { email },
  );
  if (!created.data?.createUser) throw new Error(`sign-up failed: ${JSON.stringify(created.errors)}`);
  const signedIn = await graphqlAt<{ signinUser: { token: string } }>(
    apiUrl,
    'mutation($email: String!) { signinUser(email: { email: $email, password: "correct horse" }) { token } }',
    { email },
  );
  if (!signedIn.data?.signinUser) throw new Error(`sign-in failed: ${JSON.stringify(signedIn.errors)}`);
  return { userId: created.data.createUser.id, token: signedIn.data.signinUser.token };
}
