import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProbeTiming } from './callbacks/timing.js';
import type { Logger } from '../packages/base/logger.js';
import { metricsRegistry } from './metrics.js';

/** One part of the process and whether it works now; a health check answers 503 when any part does not. */
export type Check = () => Promise<{ ok: boolean; detail: string }>;

export interface ProbeOptions {
  /**
   * Liveness: only what a restart would fix. A part that recovers by itself (the worker after a
   * database outage) is readiness: failing liveness there would restart every replica at once.
   */
  health: Record<string, Check>;
  /** Readiness: what must work to serve traffic (the database, the worker, the local services). */
  readiness: Record<string, Check>;
  /** Each check gives up after checkMs, and every probe answers within answerMs (PROBE_TIMEOUT_MS). */
  timing: ProbeTiming;
  metricsToken?: string;
  logger: Logger;
  /** The id a supervisor started this process with (SERVICE_INSTANCE), answered by /healthz. */
  instance?: string;
}

export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** /healthz, /readyz and /metrics, for the API's server and for a worker's own METRICS_PORT. */
export function probeRoutes(options: ProbeOptions): Record<string, Route> {
  return {
    '/healthz': async (_req, res) => sendChecks(res, options.health, options.timing, options.instance),
    '/readyz': async (_req, res) => sendChecks(res, options.readiness, options.timing),
    '/metrics': async (req, res) => {
      if (options.metricsToken && !bearerMatches(req.headers.authorization, options.metricsToken)) {
        return send(res, 401, 'text/plain', 'Send Authorization: Bearer <METRICS_TOKEN>\n');
      }
      // Collected before a header is written: a collector that fails is a 503, not a crash. The database's
      // gauges give up within checkMs by themselves (callbacks/metrics.ts); this bounds any other.
      let body: string;
      try {
        body = await withinMs(metricsRegistry.metrics(), options.timing.answerMs);
      } catch (err) {
        options.logger.warn({ err }, 'metrics could not be collected');
        return send(
          res,
          503,
          'text/plain',
          `metrics unavailable: ${err instanceof ProbeTimeout ? err.message : 'a collector failed'}\n`,
        );
      }
      send(res, 200, metricsRegistry.contentType, body);
    },
  };
}

/** Serves routes alone, for a process without the API (npm run worker with METRICS_PORT). */
export async function startProbeServer(port: number, host: string, routes: Record<string, Route>, logger: Logger) {
  const server = trackResponses(
    createServer((req, res) => {
      const route = routeFor(routes, req);
      if (route) runRoute(route, req, res, logger);
      else send(res, 404, 'text/plain', 'not found\n');
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return { port: (server.address() as AddressInfo).port, stop: () => closeServer(server) };
}

export const routeFor = (routes: Record<string, Route>, req: IncomingMessage): Route | undefined =>
  routes[(req.url ?? '/').split('?')[0] ?? '/'];

/** A route that fails answers 500 (or drops the connection once it has begun): the process lives on. */
export function runRoute(route: Route, req: IncomingMessage, res: ServerResponse, logger: Logger): void {
  route(req, res).catch((err) => {
    logger.error({ err }, 'route failed');
    if (!res.headersSent) send(res, 500, 'application/json', '{}');
    else res.destroy();
  });
}

const responsesInFlight = new WeakMap<Server, Set<ServerResponse>>();

/** Counts the server's responses not yet sent, so that closeServer lets them finish. */
export function trackResponses(server: Server): Server {
  const responses = new Set<ServerResponse>();
  responsesInFlight.set(server, responses);
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    responses.add(res);
    res.once('close', () => responses.delete(res));
  });
  return server;
}

/**
 * Stops accepting connections and lets the requests in flight finish, up to graceMs, before it closes
 * what is left: a mutation cut off mid-request may still commit, and its client, seeing no answer,
 * would send it again.
 */
export async function closeServer(server: Server, graceMs = 0): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const responses = responsesInFlight.get(server) ?? new Set<ServerResponse>();
  // A subscription has no end to wait for: its client reconnects, to another process or after the restart.
  for (const res of responses) if (isEventStream(res)) res.destroy();
  await untilEmpty(responses, graceMs);
  // Keep-alive connections outlive their last response, and whatever still runs after the grace is cut off.
  server.closeAllConnections();
  await closed;
}

const isEventStream = (res: ServerResponse) =>
  res.headersSent && /text\/event-stream/i.test(res.req.headers.accept ?? '');

function untilEmpty(responses: Set<ServerResponse>, timeoutMs: number): Promise<void> {
  if (responses.size === 0 || timeoutMs <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    for (const res of responses) {
      res.once('close', () => {
        if (responses.size > 0) return;
        clearTimeout(timer);
        resolve();
      });
    }
  });
}

class ProbeTimeout extends Error {}

/** The work's result, or a rejection once `ms` have passed: what a probe waits on must not hold its answer. */
export function withinMs<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeout(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function sendChecks(
  res: ServerResponse,
  checks: Record<string, Check>,
  timing: ProbeTiming,
  instance?: string,
): Promise<void> {
  const run = (check: Check) =>
    withinMs(Promise.resolve().then(check), timing.checkMs).catch((err: Error) => ({ ok: false, detail: err.message }));
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => [name, await run(check)] as const),
  );
  const ok = results.every(([, result]) => result.ok);
  const body = {
    status: ok ? 'ok' : 'failing',
    checks: Object.fromEntries(results.map(([name, result]) => [name, result.detail])),
    ...(instance && { instance }),
  };
  send(res, ok ? 200 : 503, 'application/json', JSON.stringify(body));
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType });
  res.end(body);
}
