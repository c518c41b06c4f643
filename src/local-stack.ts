import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { startLocalStripe } from '../services/lib/local-stripe.js';
import { createAccessToken, revokeAccessToken } from './auth/access-tokens.js';
import type { Scope } from './auth/scopes.js';
import { rootDir, type Config } from './config.js';
import { createPrismaClient } from './db/client.js';
import { logger } from './logger.js';

/** The two services, each with the one scope its write-back needs. */
interface LocalService {
  name: string;
  portVariable: string;
  defaultPort: number;
  urlVariable: string;
  tokenVariable: string;
  scopes: Scope[];
}

const SERVICES: LocalService[] = [
  { name: 'create-customer', portVariable: 'CREATE_CUSTOMER_PORT', defaultPort: 4001, urlVariable: 'CREATE_CUSTOMER_URL', tokenVariable: 'CREATE_CUSTOMER_TOKEN', scopes: ['customers:write'] },
  { name: 'charge-customer', portVariable: 'CHARGE_CUSTOMER_PORT', defaultPort: 4002, urlVariable: 'CHARGE_CUSTOMER_URL', tokenVariable: 'CHARGE_CUSTOMER_TOKEN', scopes: ['purchases:settle'] },
];

/**
 * What `npm start` adds around the API and worker so the whole payment workflow runs on one machine:
 * a local Stripe-compatible server when no key is set, the services' access tokens, the services.
 */
export async function startLocalStack(config: Config, databaseUrl: string, signingSecret: string) {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
  };
  try {
    const stripeEnv: Record<string, string> = {};
    let stripeNote: string;
    if (process.env.STRIPE_SECRET_KEY) {
      stripeNote = process.env.STRIPE_API_URL ? `Stripe-compatible server at ${process.env.STRIPE_API_URL}` : 'Stripe (your key)';
    } else if (config.NODE_ENV === 'production') {
      throw new Error('STRIPE_SECRET_KEY is required in production');
    } else {
      const stripe = await startLocalStripe();
      stops.push(stripe.stop);
      Object.assign(stripeEnv, { STRIPE_SECRET_KEY: 'sk_test_paygraph_local', STRIPE_API_URL: stripe.url });
      stripeNote = `LOCAL Stripe emulator (services/stripe-local, in memory) at ${stripe.url}: no real money, no Stripe account`;
      logger.warn({ url: stripe.url }, 'STRIPE_SECRET_KEY is not set: using a local Stripe-compatible server');
    }

    const db = createPrismaClient(databaseUrl, 2);
    const env: Record<string, string> = {};
    const children: ChildProcess[] = [];
    try {
      for (const service of SERVICES) {
        const port = Number(process.env[service.portVariable] ?? service.defaultPort);
        // Tokens are shown once and stored hashed, so each start replaces the previous start's.
        const tokenName = `${service.name} (npm start)`;
        await revokeAccessToken(db, tokenName);
        const { token } = await createAccessToken(db, tokenName, service.scopes);
        env[service.urlVariable] = process.env[service.urlVariable] ?? `http://127.0.0.1:${port}/`;
        children.push(
          spawn(process.execPath, ['--import', 'tsx', path.join(rootDir, 'services/run.ts'), service.name], {
            cwd: rootDir,
            stdio: ['ignore', 'inherit', 'inherit'],
            env: {
              ...process.env,
              ...stripeEnv,
              PORT: String(port),
              CALLBACK_SIGNING_SECRET: signingSecret,
              PAYGRAPH_API_URL: `http://127.0.0.1:${config.PORT}/graphql`,
              [service.tokenVariable]: token,
            },
          }),
        );
      }
    } finally {
      await db.$disconnect();
    }
    stops.push(async () => {
      await Promise.all(children.map((child) => stopChild(child)));
    });
    await Promise.all(SERVICES.map((service) => waitForPort(Number(new URL(env[service.urlVariable]!).port))));

    return {
      env,
      stop,
      printWelcome(apiUrl: string, readyMs: number) {
        console.log(welcome({ apiUrl, readyMs, stripeNote, env }));
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function waitForPort(port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`a service did not start listening on port ${port} within ${timeoutMs} ms`);
}

function welcome(info: { apiUrl: string; readyMs: number; stripeNote: string; env: Record<string, string> }): string {
  const graphql = `${info.apiUrl}/graphql`;
  const curl = (query: string, auth = '') =>
    `curl -s ${graphql} -H 'content-type: application/json'${auth} \\\n    -d '${JSON.stringify({ query })}'`;
  return `
Paygraph is ready in ${info.readyMs} ms.
  GraphQL + GraphiQL  ${graphql}
  health              ${info.apiUrl}/healthz  ${info.apiUrl}/readyz  ${info.apiUrl}/metrics
  create-customer     ${info.env.CREATE_CUSTOMER_URL}
  charge-customer     ${info.env.CHARGE_CUSTOMER_URL}
  payments            ${info.stripeNote}

Try the workflow (copy-paste, in another terminal):
  ${curl('mutation { createUser(name: "Nilan", authProvider: { email: { email: "nilan@graph.cool", password: "password" } }) { id } }')}
  ${curl('mutation { signinUser(email: { email: "nilan@graph.cool", password: "password" }) { token user { id } } }')}
  export TOKEN=<token> USER_ID=<user id>
  curl -s ${graphql} -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \\
    -d '{"query":"mutation { createCardDetails(cardToken: \\"tok_visa\\", userId: \\"'$USER_ID'\\") { id } }"}'
  curl -s ${graphql} -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \\
    -d '{"query":"mutation { createPurchase(amount: 50000, description: \\"A new laptop\\", isPaid: false, userId: \\"'$USER_ID'\\") { id isPaid } }"}'
  curl -s ${graphql} -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \\
    -d '{"query":"{ allPurchases { id isPaid status stripeChargeId } }"}'

Ctrl-C stops everything.
`;
}
