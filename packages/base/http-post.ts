import http from 'node:http';
import https from 'node:https';

export interface PostAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The answer's body: its first `maxAnswerBytes` when capped. */
  body: string;
}

export interface PostOptions {
  /** For the whole exchange, the answer included; then the POST fails with a `TimeoutError`. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Keeps only the first this many bytes of the answer; the rest is read and dropped. */
  maxAnswerBytes?: number;
  /** The connections to use; by default this module's keep-alive agents. */
  agent?: http.Agent;
}

// Connections are kept between requests: stripe-local sends every event to the same few endpoints.
// With a timeout set, the agent also honours the server's `Keep-Alive: timeout=` hint and drops an
// idle connection before the server does, so a request never lands on a socket being closed.
const KEEP_ALIVE = { keepAlive: true, timeout: 60_000 };
const agents = { 'http:': new http.Agent(KEEP_ALIVE), 'https:': new https.Agent(KEEP_ALIVE) };

/**
 * POSTs a body and reads the answer, over node:http. Chosen over fetch wherever a request is made
 * per payment or per delivery: undici's fetch (its WHATWG streams and headers) was a fifth of the
 * Stripe emulator's CPU time and a third of charge-customer's under bench:e2e, and its
 * AbortSignal.timeout() deadline a visible share of a callbacks worker's. Rejects on a network
 * error, once `timeoutMs` has passed, or when `signal` aborts.
 */
export function httpPost(
  url: string | URL,
  body: string,
  headers: Record<string, string>,
  options: PostOptions,
): Promise<PostAnswer> {
  const { timeoutMs, maxAnswerBytes = Infinity } = options;
  const target = typeof url === 'string' ? new URL(url) : url;
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      target,
      {
        method: 'POST',
        agent: options.agent ?? agents[target.protocol as keyof typeof agents],
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        signal: options.signal,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size < maxAnswerBytes) chunks.push(chunk);
          size += chunk.length;
        });
        response.on('end', () => {
          clearTimeout(timer);
          const answer = Buffer.concat(chunks);
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: answer.subarray(0, maxAnswerBytes).toString('utf8'),
          });
        });
        response.on('error', fail);
      },
    );
    // Rejected before the request is destroyed: the timeout, not the reset it causes, is the reason.
    const timer = setTimeout(() => {
      fail(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'TimeoutError' }));
      request.destroy();
    }, timeoutMs);
    function fail(error: Error) {
      clearTimeout(timer);
      reject(error);
    }
    request.on('error', fail);
    request.end(body);
  });
}
