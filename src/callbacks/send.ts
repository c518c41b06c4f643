import { Webhook } from 'standardwebhooks';

const RESPONSE_LIMIT_BYTES = 4096;

export interface SendResult {
  status?: number;
  retryAfter: string | null;
  /** The first 4 KB of the response body, or why there was no response. */
  response: string | null;
  error: string | null;
  durationMs: number;
}

/** One signed POST. Never throws: a refused connection or a timeout is a result like any other. */
export async function sendSigned(request: {
  url: string;
  headers: Record<string, string>;
  body: string;
  messageId: string;
  secret: string;
  timeoutMs: number;
}): Promise<SendResult> {
  const startedAt = performance.now();
  const timestamp = new Date();
  const signature = new Webhook(request.secret).sign(request.messageId, timestamp, request.body);
  try {
    const response = await fetch(request.url, {
      method: 'POST',
      headers: {
        ...request.headers,
        'content-type': 'application/json',
        'user-agent': 'Paygraph-Callbacks/1',
        'webhook-id': request.messageId,
        'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    const response4k = await readPrefix(response);
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      response: response4k,
      error: null,
      durationMs: Math.round(performance.now() - startedAt),
    };
  } catch (error) {
    const err = error as Error & { cause?: { code?: string } };
    const reason = err.name === 'TimeoutError' ? `timed out after ${request.timeoutMs} ms` : (err.cause?.code ?? err.message);
    return { retryAfter: null, response: null, error: reason, durationMs: Math.round(performance.now() - startedAt) };
  }
}

async function readPrefix(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < RESPONSE_LIMIT_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, RESPONSE_LIMIT_BYTES).toString('utf8');
}
