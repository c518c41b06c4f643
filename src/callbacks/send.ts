import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { httpPost } from '../../packages/base/http-post.js';

const RESPONSE_LIMIT_BYTES = 4096;

export interface SendResult {
  status?: number;
  retryAfter: string | null;
  /** The first 4 KB of the response body, or why there was no response. */
  response: string | null;
  error: string | null;
  durationMs: number;
  /** The headers sent, for the attempt log; custom headers that look secret are masked. */
  requestHeaders?: Record<string, string>;
}

const SECRET_LOOKING_HEADER = /auth|token|secret|key|cookie|password/i;

const headersForLog = (headers: Record<string, string>, custom: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      name,
      name in custom && SECRET_LOOKING_HEADER.test(name) ? '***' : value,
    ]),
  );

/** One signed POST. Never throws: a refused connection or a timeout is a result like any other. */
export async function sendSigned(request: {
  url: string;
  headers: Record<string, string>;
  body: string;
  messageId: string;
  secrets: readonly string[];
  timeoutMs: number;
}): Promise<SendResult> {
  const startedAt = performance.now();
  const timestamp = new Date();
  // Several signatures, space-separated, as the spec allows: a receiver holding any one secret verifies.
  const signature = request.secrets.map((secret) => sign(secret, request.messageId, timestamp, request.body)).join(' ');
  const headers = {
    ...request.headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(request.body)),
    'user-agent': 'Paygraph-Callbacks/1',
    'webhook-id': request.messageId,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': signature,
  };
  const requestHeaders = headersForLog(headers, request.headers);
  try {
    const response = await post(request.url, headers, request.body, request.timeoutMs);
    return { ...response, error: null, durationMs: Math.round(performance.now() - startedAt), requestHeaders };
  } catch (error) {
    const err = error as Error & { code?: string };
    const reason = err.name === 'TimeoutError' ? `timed out after ${request.timeoutMs} ms` : (err.code ?? err.message);
    return {
      retryAfter: null,
      response: null,
      error: reason,
      durationMs: Math.round(performance.now() - startedAt),
      requestHeaders,
    };
  }
}

// The decoded key of each `whsec_` secret, decoded once.
const keys = new Map<string, Buffer>();

/**
 * A Standard Webhooks v1 signature: HMAC-SHA256 of `id.timestamp.body` with the secret's base64 key,
 * as the `standardwebhooks` package computes it (tests verify with that package), but with Node's
 * native HMAC: the package's pure-JavaScript SHA-256 was a visible share of a worker's CPU.
 */
function sign(secret: string, messageId: string, timestamp: Date, body: string): string {
  let key = keys.get(secret);
  if (!key) keys.set(secret, (key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64')));
  const seconds = Math.floor(timestamp.getTime() / 1000);
  return `v1,${createHmac('sha256', key).update(`${messageId}.${seconds}.${body}`).digest('base64')}`;
}

// Node's global agents keep connections to receivers alive between deliveries.
function post(url: string, headers: Record<string, string>, body: string, timeoutMs: number) {
  const target = parsedUrl(url);
  const agent = target.protocol === 'https:' ? https.globalAgent : http.globalAgent;
  return httpPost(target, body, headers, { timeoutMs, agent, maxAnswerBytes: RESPONSE_LIMIT_BYTES }).then((answer) => ({
    status: answer.status,
    retryAfter: (answer.headers['retry-after'] as string | undefined) ?? null,
    response: answer.body,
  }));
}

// Each callback's URL, parsed once.
const urls = new Map<string, URL>();
function parsedUrl(url: string): URL {
  let parsed = urls.get(url);
  if (!parsed) urls.set(url, (parsed = new URL(url)));
  return parsed;
}
