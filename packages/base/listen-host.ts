/** Where every server Paygraph starts listens unless HOST opens it on purpose. */
export const LOOPBACK = '127.0.0.1';

/** The host to connect to a server listening on `host`: a wildcard address is reached on loopback. */
export function connectHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return LOOPBACK;
  return host.includes(':') ? `[${host}]` : host;
}
