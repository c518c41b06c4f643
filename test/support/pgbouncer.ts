import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../packages/base/free-port.js';
import { eventually } from '../../packages/testing/eventually.js';

const PGBOUNCER = '/usr/sbin/pgbouncer';

/** Why PgBouncer cannot run here, or null when it can (Debian's `pgbouncer` package, as .ci/run installs it). */
export const pgbouncerMissing = existsSync(PGBOUNCER)
  ? null
  : `no ${PGBOUNCER}: apt-get install -y pgbouncer (Debian's package) to run this test`;

/**
 * PgBouncer in transaction mode in front of the PostgreSQL at `serverUrl`: the URL it returns is
 * serverUrl's, through PgBouncer. PgBouncer refuses to run as root; as root it runs as `postgres`.
 */
export async function startPgBouncer(serverUrl: string): Promise<{ url: string; stop(): Promise<void> }> {
  const server = new URL(serverUrl);
  const dir = mkdtempSync(path.join(tmpdir(), 'paygraph-pgbouncer-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  const user = decodeURIComponent(server.username);
  writeFileSync(path.join(dir, 'users.txt'), `"${user}" "${decodeURIComponent(server.password)}"\n`);
  writeFileSync(
    path.join(dir, 'pgbouncer.ini'),
    `[databases]
* = host=${server.hostname} port=${server.port}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = trust
auth_file = ${dir}/users.txt
pool_mode = transaction
admin_users = ${user}
max_client_conn = 1000
default_pool_size = 40
ignore_startup_parameters = extra_float_digits
`,
  );
  const asRoot = process.getuid?.() === 0;
  const child = spawn(
    asRoot ? 'runuser' : PGBOUNCER,
    asRoot ? ['-u', 'postgres', '--', PGBOUNCER, `${dir}/pgbouncer.ini`] : [`${dir}/pgbouncer.ini`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await eventually(
    () => {
      if (child.exitCode !== null) throw new Error(`pgbouncer exited: ${log}`);
      return accepts(port);
    },
    Boolean,
    { what: 'PgBouncer listening' },
  );
  const url = new URL(serverUrl);
  url.port = String(port);
  return {
    url: url.toString(),
    async stop() {
      // runuser passes SIGTERM on to PgBouncer and exits with it.
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
