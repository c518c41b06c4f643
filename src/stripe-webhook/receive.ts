import type { IncomingMessage, ServerResponse } from 'node:http';
import Stripe from 'stripe';
import type { EventRecorder } from '../callbacks/events.js';
import type { Db } from '../db/client.js';
import { attachTransaction, withWriteBehind } from '../db/write-behind.js';
import type { Logger } from '../logger.js';
import { applyStripeEvent } from './apply-event.js';

export interface StripeWebhookOptions {
  db: Db;
  events: EventRecorder;
  logger: Logger;
  /** STRIPE_WEBHOOK_SECRET; without it every request is refused. */
  secret: string | undefined;
  maxBodyBytes: number;
}

/**
 * POST /stripe/webhook: the raw body is verified against `Stripe-Signature` (Stripe's 300 s
 * tolerance) before anything is parsed; anything unverified is 400 and changes nothing. A verified
 * event is recorded once by its id in the same transaction as what it changes, so a replay or a
 * re-send is answered 200 and does nothing.
 */
export function stripeWebhookRoute(options: StripeWebhookOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') return answer(res, 405, { error: 'POST a Stripe event' });
    const body = await readBody(req, options.maxBodyBytes);
    if (body === null) return answer(res, 413, { error: 'Event body too large' });
    let event: Stripe.Event;
    try {
      if (!options.secret) throw new Error('STRIPE_WEBHOOK_SECRET is not set');
      event = Stripe.webhooks.constructEvent(body, String(req.headers['stripe-signature'] ?? ''), options.secret);
    } catch (error) {
      options.logger.warn({ reason: (error as Error).message }, 'Stripe webhook refused');
      return answer(res, 400, { error: 'Signature verification failed' });
    }
    // Its BEGIN and its locks ride with the statements after them (src/db/write-behind.ts).
    const outcome = await withWriteBehind(() => options.db.$transaction(async (tx) => {
      attachTransaction(tx);
      const recorded = await tx.$executeRaw`insert into stripe_event (id, type, livemode, payload)
        values (${event.id}, ${event.type}, ${event.livemode}, ${body.toString("utf8")}::jsonb) on conflict (id) do nothing`;
      if (recorded === 0) return 'duplicate';
      return applyStripeEvent({ db: tx as unknown as Db, events: options.events }, event);
    }));
    options.logger.info({ event: event.id, type: event.type, outcome }, 'Stripe event');
    return answer(res, 200, { received: true, outcome });
  };
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
