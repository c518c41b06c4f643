import { createHmac } from 'node:crypto';
import { httpPost } from '../../../packages/base/http-post.js';
import type { Account } from '../resources/account.js';
import { eventJson, listeningEndpoints, type EventRecord } from '../resources/events.js';

/** After a failed attempt, the next one this long after (emulator clock): about three days in all, as Stripe retries. */
export const RETRY_DELAYS_MS = [
  60_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000, 36_000_000, 36_000_000, 43_200_000,
  43_200_000,
];
const ATTEMPT_TIMEOUT_MS = 10_000;

interface Delivery {
  account: Account;
  event: EventRecord;
  /** The event in the endpoint's API version. */
  payload: string;
  attempts: number;
  dueAt: number;
}

interface Queue {
  url: string;
  secret: string;
  reversed: () => boolean;
  pending: Delivery[];
  sending: boolean;
}

export interface DeliveryLogger {
  warn(details: object, message: string): void;
}

/** Stripe's `Stripe-Signature`: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body" keyed with the endpoint secret>`. */
export function signature(payload: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex')}`;
}

/**
 * Sends events to webhook endpoints, one at a time per endpoint, retrying a receiver that fails with
 * backoff on the account's clock. Out of order on request: the newest pending event goes first.
 */
export class WebhookDelivery {
  private readonly queues = new Map<string, Queue>();
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<AbortController>();
  private stopped = false;

  constructor(private readonly logger: DeliveryLogger) {}

  /** Only the endpoints of the account the event happened in: another account's endpoint never hears of it. */
  onEvent(account: Account, event: EventRecord): void {
    if (this.stopped) return;
    const dueAt = account.now();
    for (const endpoint of listeningEndpoints(account, event.type)) {
      this.queue(
        `${account.key}:${endpoint.id}`,
        endpoint.url,
        endpoint.secret,
        () => account.webhookOrder === 'reversed',
      ).pending.push({ account, event, payload: eventJson(event, endpoint.apiVersion), attempts: 0, dueAt });
    }
    // Sent after the request that caused the event has answered, as Stripe does.
    setImmediate(() => this.poke());
  }

  /** Sends whatever is due now: after new events, an answered attempt, or the clock moved forward. */
  poke(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    let nextInMs = Infinity;
    for (const queue of this.queues.values()) {
      if (!queue.sending) this.send(queue);
      for (const delivery of queue.pending) nextInMs = Math.min(nextInMs, delivery.dueAt - delivery.account.now());
    }
    if (Number.isFinite(nextInMs)) this.timer = setTimeout(() => this.poke(), Math.max(nextInMs, 1)).unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const controller of this.inFlight) controller.abort();
  }

  private queue(key: string, url: string, secret: string, reversed: () => boolean): Queue {
    let queue = this.queues.get(key);
    if (!queue) this.queues.set(key, (queue = { url, secret, reversed, pending: [], sending: false }));
    return queue;
  }

  private send(queue: Queue): void {
    const due = queue.pending.filter((delivery) => delivery.dueAt <= delivery.account.now());
    const delivery = queue.reversed() ? due.at(-1) : due[0];
    if (!delivery) return;
    queue.pending.splice(queue.pending.indexOf(delivery), 1);
    queue.sending = true;
    void this.attempt(queue, delivery).then((delivered) => {
      queue.sending = false;
      if (delivered) delivery.event.pendingWebhooks = Math.max(0, delivery.event.pendingWebhooks - 1);
      if (!delivered && !this.stopped) this.retryLater(queue, delivery);
      this.poke();
    });
  }

  private async attempt(queue: Queue, delivery: Delivery): Promise<boolean> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    try {
      const response = await httpPost(
        queue.url,
        delivery.payload,
        {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          // Signed at the real time of sending, so a receiver's tolerance check holds even after the emulator clock moved.
          'stripe-signature': signature(delivery.payload, queue.secret),
        },
        { timeoutMs: ATTEMPT_TIMEOUT_MS, signal: controller.signal },
      );
      return response.status >= 200 && response.status < 300;
    } catch {
      return false;
    } finally {
      this.inFlight.delete(controller);
    }
  }

  private retryLater(queue: Queue, delivery: Delivery): void {
    const delay = RETRY_DELAYS_MS[delivery.attempts];
    delivery.attempts++;
    if (delay === undefined) {
      this.logger.warn(
        { url: queue.url, event: delivery.event.id, attempts: delivery.attempts },
        'webhook given up after three days of retries',
      );
      return;
    }
    delivery.dueAt = delivery.account.now() + delay;
    queue.pending.push(delivery);
  }
}
