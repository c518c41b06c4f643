import { describe, expect, it } from 'vitest';
import { closedPortUrl, listen } from './listen.js';

describe('listen', () => {
  it('serves a micro handler on a loopback port of its own, and closes it', async () => {
    const server = await listen(() => ({ ok: true }));
    expect(new URL(server.url).hostname).toBe('127.0.0.1');
    expect(await (await fetch(server.url)).json()).toEqual({ ok: true });
    await server.close();
    await expect(fetch(server.url)).rejects.toThrow();
  });

  it('comes back on a port it was given: a receiver that was down is up again at the same URL', async () => {
    const first = await listen({ listener: (_req, res) => void res.end('first') });
    await first.close();
    const again = await listen({ listener: (_req, res) => void res.end('again') }, first.port);
    try {
      expect(await (await fetch(first.url)).text()).toBe('again');
    } finally {
      await again.close();
    }
  });

  it('fails, rather than hangs, when the port is taken', async () => {
    const taken = await listen({ listener: (_req, res) => void res.end() });
    try {
      await expect(listen({ listener: (_req, res) => void res.end() }, taken.port)).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await taken.close();
    }
  });

  it('gives a URL where a connection is refused', async () => {
    await expect(fetch(await closedPortUrl('/hook'))).rejects.toThrow();
  });
});
