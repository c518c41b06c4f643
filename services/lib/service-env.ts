import { z } from 'zod';

/** What a service reads from its environment; `tokenVariable` names its own access token. */
export function loadServiceEnv(tokenVariable: string, defaultPort: number, env: NodeJS.ProcessEnv = process.env) {
  const schema = z.object({
    NODE_ENV: z.string().default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(defaultPort),
    CALLBACK_SIGNING_SECRET: z.string().startsWith('whsec_', 'CALLBACK_SIGNING_SECRET must be a whsec_ secret'),
    PAYGRAPH_API_URL: z.string().url().default('http://localhost:4000/graphql'),
    STRIPE_SECRET_KEY: z.string().min(1).optional(),
    STRIPE_API_URL: z.string().url().optional(),
  });
  const token = z.string().startsWith('pgt_', `${tokenVariable} must be a Paygraph access token (npm run token)`);
  const parsed = schema.extend({ accessToken: token }).safeParse({ ...env, accessToken: env[tokenVariable] });
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((issue) => issue.message).join('\n'));
  }
  const values = parsed.data;
  if (!values.STRIPE_SECRET_KEY) {
    throw new Error(
      values.NODE_ENV === 'production'
        ? 'STRIPE_SECRET_KEY is required in production'
        : 'STRIPE_SECRET_KEY is not set: use an sk_test_ key, or run `npm start`, which starts a local Stripe-compatible server',
    );
  }
  return { ...values, stripeSecretKey: values.STRIPE_SECRET_KEY };
}
