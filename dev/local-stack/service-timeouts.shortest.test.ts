import { describe, expect, it } from 'vitest';
import { serviceTimeoutMs } from './service-timeouts.js';

describe('serviceTimeoutMs', () => {
  const callbacks = [
    { url: 'http://127.0.0.1:4002/', timeoutMs: 15_000 },
    { url: 'http://127.0.0.1:4002/refund', timeoutMs: 8_000 },
    { url: 'http://127.0.0.1:4001/', timeoutMs: 20_000 },
  ];

  it('the shortest timeout of the callbacks that reach the service, whatever their path', () => {
    expect(serviceTimeoutMs('http://127.0.0.1:4002/', callbacks)).toBe(8_000);
    expect(serviceTimeoutMs('http://127.0.0.1:4001/', callbacks)).toBe(20_000);
  });

  it('none when no callback reaches it', () => {
    expect(serviceTimeoutMs('http://127.0.0.1:4003/', callbacks)).toBeNull();
  });
});
