import http from 'node:http';
import https from 'node:https';

export interface PostAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

// Connections are kept between requests: stripe-local sends every event to the same few endpoints.
// With a timeout set, the agent also honours the server's `Keep-Alive: timeout=` hint and drops an
// idle connection before the server does, so a request never lands on a socket being closed.
const KEEP_ALIVE = { keepAlive: true, timeout: 60_000 };
const agents = { 'http:': new http.Agent(KEEP_ALIVE), 'https:': new https.Agent(KEEP_ALIVE) };

/**
 * POSTs a body and reads the whole answer, over node:http with a keep-alive agent. Chosen over
 * fetch for stripe-local's events, one or more per payment: undici's fetch (its WHATWG streams and
 * headers) was a fifth of the emulator's CPU time under bench:e2e. Rejects on a network error, after `timeoutMs`, or when `signal` aborts.
 */
export function httpPost(url: string | URL, body: string, headers: Record<string, string>, timeoutMs: number, signal?: AbortSignal): Promise<PostAnswer> {
  const target = typeof url === 'string' ? new URL(url) : url;
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      target,
      { method: 'POST', agent: agents[target.protocol as keyof typeof agents], headers: { ...headers, 'content-length': Buffer.byteLength(body) }, signal },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          clearTimeout(timer);
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        response.on('error', fail);
      },
    );
    const timer = setTimeout(() => request.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    function fail(error: Error) {
      clearTimeout(timer);
      reject(error);
    }
    request.on('error', fail);
    request.end(body);
  });
}
