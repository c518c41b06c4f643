import { createPubSub } from 'graphql-yoga';
import pg from 'pg';
import type { Logger } from '../../packages/base/logger.js';

/** The channel the triggers of migration `console_live` announce committed changes on. */
export const CHANGE_CHANNEL = 'paygraph_change';

const TYPES = ['Purchase', 'CardDetails', 'CallbackDelivery'] as const;
export type ChangedType = (typeof TYPES)[number];

/**
 * Topics: `Purchase` with the purchase id, ...; `CallbackDelivery` also without one, for all
 * deliveries; `CredentialChanged` with a session's or access token's id, `AnyCredentialChanged`
 * without (./while-signed-in.ts).
 */
export type ChangeTopics = { [T in ChangedType]: [id: string, changedId: string] } & {
  AnyCallbackDelivery: [changedId: string];
  CredentialChanged: [credentialId: string, credentialId: string];
  /** After a lost LISTEN connection: a revocation may have gone unheard, so every stream checks. */
  AnyCredentialChanged: [changed: true];
};
export type ChangeFeed = ReturnType<typeof createPubSub<ChangeTopics>>;

export const createChangeFeed = (): ChangeFeed => createPubSub<ChangeTopics>();

const RECONNECT_FIRST_MS = 250;
const RECONNECT_MAX_MS = 10_000;

/**
 * One LISTEN connection per API process feeding its subscriptions: a change committed by any
 * process (another API, a worker, a service's write-back) reaches every subscriber. While the
 * connection is down, changes are missed (NOTIFY is not queued for absent listeners); the
 * connection comes back with backoff and the log says so.
 */
export function listenForChanges(
  databaseUrl: string,
  feed: ChangeFeed,
  logger: Logger,
  also: ChannelListener[] = [],
): Promise<{ stop(): Promise<void>; listening(): boolean }> {
  return listenToChanges(databaseUrl, (payload) => publish(feed, payload, logger), logger, 'live updates', also);
}

/**
 * Another channel heard on the same connection: every listening backend is woken by every NOTIFY of
 * its database, so one LISTEN connection per process costs PostgreSQL less than one per channel.
 */
export interface ChannelListener {
  channel: string;
  onPayload: (payload: string | undefined) => void;
  /** Called when the connection is lost: notifications are missed from now on. */
  onDown?: () => void;
  /** Called once LISTEN holds again (and the first time). */
  onUp?: () => void;
}

/**
 * The LISTEN connection itself, with its reconnection: each notification's payload goes to
 * `onPayload`. Also used by the callbacks worker, which sends a new delivery as soon as it hears of
 * it, and by the API's identity cache, which must know when it may have missed a revocation.
 */
export async function listenToChanges(
  databaseUrl: string,
  onPayload: (payload: string | undefined) => void,
  logger: Logger,
  label: string,
  also: ChannelListener[] = [],
): Promise<{ stop(): Promise<void>; listening(): boolean }> {
  const others = new Map(also.map((listener) => [listener.channel, listener]));
  let client: pg.Client | null = null;
  let stopped = false;
  let delay = RECONNECT_FIRST_MS;
  let timer: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: databaseUrl });
    next.on('notification', (message) => (others.get(message.channel)?.onPayload ?? onPayload)(message.payload));
    next.on('error', (err) => {
      logger.warn({ err }, `${label}: LISTEN connection lost; reconnecting`);
      next.end().catch(() => undefined);
      if (client === next) client = null;
      for (const listener of also) listener.onDown?.();
      schedule();
    });
    await next.connect();
    await next.query([CHANGE_CHANNEL, ...others.keys()].map((channel) => `LISTEN ${channel}`).join('; '));
    if (stopped) return void (await next.end());
    client = next;
    for (const listener of also) listener.onUp?.();
    delay = RECONNECT_FIRST_MS;
  };
  const schedule = () => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      connect().catch((err) => {
        logger.warn({ err, retryInMs: delay }, `${label}: cannot LISTEN yet`);
        delay = Math.min(delay * 2, RECONNECT_MAX_MS);
        schedule();
      });
    }, delay);
  };

  await connect();
  return {
    listening: () => client !== null,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await client?.end().catch(() => undefined);
    },
  };
}

function publish(feed: ChangeFeed, payload: string | undefined, logger: Logger): void {
  try {
    const change = JSON.parse(payload ?? '') as { type: ChangedType; id: string };
    if (!TYPES.includes(change.type)) return;
    feed.publish(change.type, change.id, change.id);
    if (change.type === 'CallbackDelivery') feed.publish('AnyCallbackDelivery', change.id);
  } catch (err) {
    logger.warn({ err, payload }, 'live updates: ignoring a malformed notification');
  }
}
