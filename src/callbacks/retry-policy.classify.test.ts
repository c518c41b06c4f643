import { describe, expect, it } from 'vitest';
import { classify } from './retry-policy.js';

describe('classify: what an answer means for a delivery', () => {
  it('2xx is delivered, whatever the attempt', () => {
    expect(classify({ status: 200 }, 1, 3)).toBe('delivered');
    expect(classify({ status: 204 }, 3, 3)).toBe('delivered');
  });

  it('5xx, 408, 409, 425, 429 and no answer at all are retried', () => {
    for (const status of [500, 502, 503, 408, 409, 425, 429, undefined])
      expect(classify({ status }, 1, 3)).toBe('retry');
  });

  it('other 4xx fail at once, and 3xx is not followed', () => {
    for (const status of [400, 401, 403, 404, 410, 422, 301]) expect(classify({ status }, 1, 3)).toBe('failed');
  });

  it('409 with a waiting_for_ code is waiting, even on the last allowed attempt; any other 409 body is retried', () => {
    const waiting = JSON.stringify({ code: 'waiting_for_authentication', message: 'the cardholder' });
    expect(classify({ status: 409, response: waiting }, 1, 3)).toBe('waiting');
    expect(classify({ status: 409, response: waiting }, 3, 3)).toBe('waiting');
    expect(classify({ status: 409, response: '{"error":"card pending"}' }, 1, 3)).toBe('retry');
    expect(classify({ status: 409, response: 'waiting_for_ not json' }, 1, 3)).toBe('retry');
    expect(classify({ status: 400, response: waiting }, 1, 3)).toBe('failed');
  });

  it('a retryable answer on the last allowed attempt is dead', () => {
    expect(classify({ status: 503 }, 3, 3)).toBe('dead');
    expect(classify({}, 4, 3)).toBe('dead');
  });
});
