/**
 * `npm run bench:signups -- [checkout]`: the peak resident memory of npm start's main process (the API
 * with its worker) while 64 users sign up, 8 at a time: each sign-up hashes a password with scrypt
 * (32 MB while it runs). Give another checkout's folder to measure it beside this one in the same session.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, chmodSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const repo = path.resolve(process.argv[2] ?? process.cwd());
const port = 4800 + Math.floor(Math.random() * 100);
const dataDir = mkdtempSync(path.join(tmpdir(), 'signup-mem-'));
chmodSync(dataDir, 0o755);
const env: NodeJS.ProcessEnv = {
  ...process.env,
  DATA_DIR: dataDir,
  PORT: String(port),
  CREATE_CUSTOMER_PORT: String(port + 100),
  CHARGE_CUSTOMER_PORT: String(port + 200),
  LOG_LEVEL: 'warn',
  SIGNUP_MAX_PER_ADDRESS: '100000',
};
// The embedded PostgreSQL, as a newcomer's npm start runs it.
delete env.DATABASE_URL;
const child = spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'dev/start.ts')], {
  cwd: repo,
  env,
  stdio: 'ignore',
});
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;
const url = `http://127.0.0.1:${port}`;
const readyBy = Date.now() + 180_000;
for (;;) {
  if (Date.now() > readyBy || child.exitCode !== null) throw new Error(`npm start in ${repo} was not ready in time`);
  const ok = await fetch(`${url}/readyz`).then(
    (r) => r.status === 200,
    () => false,
  );
  if (ok) break;
  await new Promise((r) => setTimeout(r, 500));
}
await new Promise((r) => setTimeout(r, 3000));
const idle = rss();
let peak = idle;
const sampler = setInterval(() => (peak = Math.max(peak, rss())), 50);
let n = 0;
const gql = (query: string) =>
  fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  }).then((r) => r.json());
const started = Date.now();
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (n < 64) {
      const i = n++;
      await gql(
        `mutation { createUser(name: "M", authProvider: { email: { email: "m${i}-${Date.now()}@example.com", password: "correct horse" } }) { id } }`,
      );
    }
  }),
);
const ms = Date.now() - started;
clearInterval(sampler);
console.log(
  JSON.stringify({
    repo,
    idleMB: Math.round(idle),
    peakMB: Math.round(peak),
    signupsPerSecond: Math.round((64 / ms) * 1000),
  }),
);
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
