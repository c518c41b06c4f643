import { pino, type Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import { z } from 'zod';
import { LOOPBACK } from '../../packages/base/listen-host.js';
import { SERVICES, type ServiceName } from '../../packages/base/services.js';
import { withSecretFiles } from '../../packages/base/secret-files.js';
import { paygraphClient, type Paygraph } from './paygraph-client.js';
import { createStripe, DEFAULT_CALLBACK_TIMEOUT_MS, type Stripe } from './stripe-client.js';
import { serviceBudget } from '../../packages/base/service-budget.js';

/** What every handler is built from; tests and the in-process launcher pass their own. */
export interface ServiceDeps {
  stripe: Stripe;
  paygraph: Paygraph;
  signingSecret: string;
  /** Where Stripe sends a cardholder back after a redirect (3-D Secure): a confirm without one is refused live. */
  returnUrl: string;
  logger?: Logger;
}

const signingSecret = z
  .string({ error: 'CALLBACK_SIGNING_SECRET is required (the whsec_ secret Paygraph signs callbacks with)' })
  .startsWith('whsec_', 'CALLBACK_SIGNING_SECRET must be a whsec_ secret')
  .refine(isUsableSecret, 'CALLBACK_SIGNING_SECRET is not whsec_ followed by base64');

/** Every environment variable a service reads, parsed and defaulted here and nowhere else. */
export function loadServiceEnv(service: ServiceName, env: NodeJS.ProcessEnv = process.env) {
  const { defaultPort, tokenVariable } = SERVICES[service];
  const schema = z.object({
    NODE_ENV: z.string().default('development'),
    PORT: z.coerce.number().int().min(0).max(65_535).default(defaultPort),
    /** The API's rule: loopback unless opened on purpose (the image sets 0.0.0.0). */
    HOST: z.string().default(LOOPBACK),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    CALLBACK_SIGNING_SECRET: signingSecret,
    PAYGRAPH_API_URL: z.url().default('http://localhost:4000/graphql'),
    /** The address people reach Paygraph at; the default return_url is its operator's page. */
    PUBLIC_URL: z.url().optional(),
    STRIPE_RETURN_URL: z.url().optional(),
    accessToken: z
      .string({ error: `${tokenVariable} is required: a Paygraph access token for this service (npm run token)` })
      .startsWith('pgt_', `${tokenVariable} must be a Paygraph access token (pgt_...)`),
    STRIPE_SECRET_KEY: z.string().min(1).optional(),
    STRIPE_API_URL: z.url().optional(),
    /** The `timeout` of the callbacks this service answers: its Stripe calls and write-back fit inside it. */
    CALLBACK_TIMEOUT_MS: z.coerce.number().int().positive().default(DEFAULT_CALLBACK_TIMEOUT_MS),
    /** Set by `npm start`'s supervisor, which checks that its own child answers on the port. */
    SERVICE_INSTANCE: z.string().optional(),
  });
  const resolved = withSecretFiles(env, ['CALLBACK_SIGNING_SECRET', 'STRIPE_SECRET_KEY', tokenVariable]);
  const parsed = schema.safeParse({ ...resolved, accessToken: resolved[tokenVariable] });
  if (!parsed.success) {
    const name = (path: PropertyKey[]) => (path[0] === 'accessToken' ? tokenVariable : String(path[0]));
    const line = (issue: z.core.$ZodIssue) =>
      issue.message.startsWith(name(issue.path)) ? issue.message : `${name(issue.path)}: ${issue.message}`;
    throw new Error(parsed.error.issues.map(line).join('\n'));
  }
  const values = parsed.data;
  const stripeSecretKey = values.STRIPE_SECRET_KEY ?? stripeKeyForDevelopment(values.NODE_ENV, values.STRIPE_API_URL);
  return {
    service,
    port: values.PORT,
    host: values.HOST,
    logLevel: values.LOG_LEVEL,
    signingSecret: values.CALLBACK_SIGNING_SECRET,
    paygraphApiUrl: values.PAYGRAPH_API_URL,
    accessToken: values.accessToken,
    stripeSecretKey,
    stripeApiUrl: values.STRIPE_API_URL,
    stripeReturnUrl: values.STRIPE_RETURN_URL ?? defaultReturnUrl(values.PUBLIC_URL ?? values.PAYGRAPH_API_URL),
    budget: serviceBudget(values.CALLBACK_TIMEOUT_MS),
    instance: values.SERVICE_INSTANCE,
  };
}

export type ServiceEnv = ReturnType<typeof loadServiceEnv>;

/** The clients a handler needs, made once from the environment. */
export function depsFromEnv(config: ServiceEnv): Required<ServiceDeps> {
  return {
    stripe: createStripe(config.stripeSecretKey, config.stripeApiUrl, config.budget),
    paygraph: paygraphClient(config.paygraphApiUrl, config.accessToken, config.budget.writeBackTimeoutMs),
    signingSecret: config.signingSecret,
    returnUrl: config.stripeReturnUrl,
    logger: pino({ name: config.service, level: config.logLevel }),
  };
}

/** The operator's page of the Paygraph at `base` (only its origin counts), where the cardholder lands after 3-D Secure. */
export const defaultReturnUrl = (base: string) => new URL('/console/', base).href;

// In development STRIPE_API_URL alone is enough: a Stripe-compatible stand-in takes any test key (the local
// Stripe makes it an account of its own, whose events reach only the endpoints it creates); production never runs without a real key.
function stripeKeyForDevelopment(nodeEnv: string, stripeApiUrl: string | undefined): string {
  if (nodeEnv === 'production') {
    throw new Error('STRIPE_SECRET_KEY is required in production: refusing to start without a Stripe key');
  }
  if (!stripeApiUrl) {
    throw new Error(
      'STRIPE_SECRET_KEY is not set: use an sk_test_ key, or point STRIPE_API_URL at a Stripe-compatible server ' +
        '(`npm start` runs one for you)',
    );
  }
  return 'sk_test_paygraph_local';
}

function isUsableSecret(secret: string): boolean {
  try {
    new Webhook(secret);
    return true;
  } catch {
    return false;
  }
}
