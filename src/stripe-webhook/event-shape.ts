import { z } from 'zod';

/**
 * The fields Paygraph reads from a verified Stripe event, each checked for its type before anything
 * uses it: a signature says who sent a body, not that its `metadata.purchaseId` is a string. Only what
 * applyStripeEvent reads is listed; Stripe's other fields pass through untouched (objects are loose).
 */
const id = z.string().min(1).max(255);
const idOrObject = z
  .union([id, z.object({ id }).loose()])
  .nullish()
  .transform((value) => (typeof value === 'string' ? value : (value?.id ?? null)));
const amount = z.number().int().nonnegative();
const currency = z
  .string()
  .length(3)
  .transform((value) => value.toLowerCase());
// Stripe's metadata values are strings; anything else was not written by Stripe.
const metadata = z
  .record(z.string(), z.string())
  .nullish()
  .transform((value) => value ?? {});
const problem = z.object({ code: z.string().nullish(), message: z.string().nullish() }).loose().nullish();

export const paymentIntentShape = z
  .object({
    id,
    object: z.literal('payment_intent'),
    amount,
    amount_received: amount.nullish(),
    currency,
    customer: idOrObject,
    status: z.string().nullish(),
    latest_charge: idOrObject,
    client_secret: z.string().nullish(),
    last_payment_error: problem,
    metadata,
  })
  .loose();

export const chargeShape = z
  .object({
    id,
    object: z.literal('charge'),
    amount,
    amount_refunded: amount,
    currency,
    payment_intent: idOrObject,
  })
  .loose();

export const disputeShape = z
  .object({
    id,
    object: z.literal('dispute'),
    amount,
    currency,
    status: z.string().min(1),
    charge: idOrObject,
    payment_intent: idOrObject,
  })
  .loose();

export const refundShape = z
  .object({
    id,
    object: z.literal('refund'),
    amount,
    currency,
    status: z.string().nullish(),
    charge: idOrObject,
    payment_intent: idOrObject,
    failure_reason: z.string().nullish(),
    metadata,
  })
  .loose();

export const setupIntentShape = z
  .object({
    id,
    object: z.literal('setup_intent'),
    customer: idOrObject,
    payment_method: idOrObject,
    last_setup_error: problem,
    metadata,
  })
  .loose();

export const paymentMethodShape = z.object({ id, object: z.literal('payment_method') }).loose();

/** The envelope every event has; `data.object` is checked by the type's own shape where Paygraph acts on it. */
export const eventShape = z
  .object({
    id,
    type: z.string().min(1).max(255),
    created: z.number().int().positive(),
    livemode: z.boolean(),
    /** A Connect account's event names the connected account; the platform's own events have none. */
    account: z.string().min(1).nullish(),
    data: z.object({ object: z.object({}).loose() }).loose(),
  })
  .loose();

export type StripeEventEnvelope = z.infer<typeof eventShape>;

/** The shape of `data.object` for the types Paygraph acts on (by type prefix or exact type). */
export function objectShapeFor(type: string): z.ZodType | null {
  if (type.startsWith('payment_intent.')) return paymentIntentShape;
  if (type === 'charge.refunded') return chargeShape;
  if (type.startsWith('charge.dispute.')) return disputeShape;
  if (type === 'refund.updated' || type === 'refund.failed' || type === 'charge.refund.updated') return refundShape;
  if (type.startsWith('setup_intent.')) return setupIntentShape;
  if (type === 'payment_method.detached') return paymentMethodShape;
  return null;
}

/**
 * The verified body as an event Paygraph may read, or the first problem with it (its path and what
 * is wrong, never the value): a body of the wrong shape is answered 400 and changes nothing.
 */
export function parseEvent(body: unknown): { event: StripeEventEnvelope } | { problem: string } {
  const envelope = eventShape.safeParse(body);
  if (!envelope.success) return { problem: describe(envelope.error) };
  const shape = objectShapeFor(envelope.data.type);
  if (shape) {
    const object = shape.safeParse(envelope.data.data.object);
    if (!object.success) return { problem: describe(object.error, 'data.object.') };
    envelope.data.data.object = object.data as Record<string, unknown>;
  }
  return { event: envelope.data };
}

function describe(error: z.ZodError, prefix = ''): string {
  const [issue] = error.issues;
  return issue ? `${prefix}${issue.path.join('.') || '(the body)'}: ${issue.message}` : 'unexpected shape';
}
