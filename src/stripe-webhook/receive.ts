import type { IncomingMessage, ServerResponse } from 'node:http';
import type Stripe from 'stripe';
import type { EventRecorder } from '../callbacks/events.js';
import type { Db } from '../db/client.js';
import { attachTransaction, withWriteBehind } from '../db/write-behind.js';
import type { Logger } from '../../packages/base/logger.js';
import { applyStripeEvent } from './apply-event.js';
import { parseEvent } from './event-shape.js';
import { notApplied, recordOutcome, type Outcome } from './outcome.js';
import { accountMismatch } from './own-payment.js';

export interface StripeWebhookOptions {
  db: Db;
  events: EventRecorder;
  logger: Logger;
  /** STRIPE_WEBHOOK_SECRET; without it every request is refused. */
  secret: string | undefined;
  /** STRIPE_ACCOUNT_ID: the connected account a Connect deployment serves; unset, events naming an account are not applied. */
  account: string | undefined;
  maxBodyBytes: number;
}

// The SDK verifies Stripe-Signature; it is loaded with the first event, not at start, so an API or
// worker that receives none never loads it.
let stripeWebhooks: Promise<typeof Stripe.webhooks> | undefined;
const webhooks = () => (stripeWebhooks ??= import('stripe').then((sdk) => sdk.default.webhooks));

// Stripe's tolerance, both ways: its SDK only refuses a signature too old, so one dated in the future
// (a replay prepared in advance, a signer's clock gone wrong) is refused here.
const TOLERANCE_S = 300;

/**
 * POST /stripe/webhook, as stripe-samples write one: the raw body is verified against
 * `Stripe-Signature` (300 s either way) before anything is parsed, then checked for the shape of every
 * field Paygraph reads; anything unverified or malformed is 400 and changes nothing. A verified event
 * is recorded once by its id in the same transaction as what it changes, with what applying it did,
 * so a replay or a re-send is answered 200 and does nothing.
 */
export function stripeWebhookRoute(options: StripeWebhookOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') return answer(res, 405, { error: 'POST a Stripe event', code: 'METHOD_NOT_ALLOWED' });
    const body = await readBody(req, options.maxBodyBytes);
    if (body === null) return answer(res, 413, { error: 'Event body too large', code: 'PAYLOAD_TOO_LARGE' });
    const verified = await verify(body, String(req.headers['stripe-signature'] ?? ''), options.secret);
    if ('refused' in verified) {
      options.logger.warn({ reason: verified.refused }, 'Stripe webhook refused');
      return answer(res, 400, { error: 'Signature verification failed', code: 'BAD_SIGNATURE' });
    }
    const parsed = parseEvent(verified.event);
    if ('problem' in parsed) {
      options.logger.warn({ problem: parsed.problem }, 'Stripe webhook of an unexpected shape refused');
      return answer(res, 400, {
        error: `Not an event of the shape Stripe sends: ${parsed.problem}`,
        code: 'BAD_EVENT',
      });
    }
    const event = parsed.event;
    // Its BEGIN and its locks ride with the statements after them (src/db/write-behind.ts).
    const result = await withWriteBehind(() =>
      options.db.$transaction(async (tx): Promise<Outcome | 'duplicate'> => {
        attachTransaction(tx);
        const scope = { db: tx as unknown as Db, events: options.events };
        const recorded = await tx.$executeRaw`insert into stripe_event (id, type, livemode, payload)
        values (${event.id}, ${event.type}, ${event.livemode}, ${body.toString('utf8')}::jsonb) on conflict (id) do nothing`;
        if (recorded === 0) return 'duplicate';
        const foreign = accountMismatch(event.account, options.account);
        const outcome = foreign ? notApplied(foreign) : await applyStripeEvent(scope, event);
        await recordOutcome(scope, event, outcome);
        return outcome;
      }),
    );
    const outcome =
      result === 'duplicate'
        ? { outcome: 'duplicate' }
        : { outcome: result.outcome, ...(result.outcome === 'not applied' && { reason: result.reason }) };
    const log =
      result !== 'duplicate' && result.outcome === 'not applied'
        ? options.logger.warn.bind(options.logger)
        : options.logger.info.bind(options.logger);
    log({ event: event.id, type: event.type, ...outcome }, 'Stripe event');
    return answer(res, 200, { received: true, ...outcome });
  };
}

async function verify(
  body: Buffer,
  header: string,
  secret: string | undefined,
): Promise<{ event: unknown } | { refused: string }> {
  try {
    if (!secret) throw new Error('STRIPE_WEBHOOK_SECRET is not set');
    const event: unknown = (await webhooks()).constructEvent(body, header, secret, TOLERANCE_S);
    const signedAt = Number(/(?:^|,)\s*t=(\d+)/.exec(header)?.[1]);
    if (signedAt - Date.now() / 1000 > TOLERANCE_S)
      throw new Error('Timestamp in the future, outside the tolerance zone');
    return { event };
  } catch (error) {
    return { refused: (error as Error).message };
  }
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
