import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { launcherArgs } from '../packages/base/launcher.js';

/**
 * HTTP load from autocannon in its own process, as a real client would be: the API's event loop and
 * CPU time are its own, and the client's cost (fetch in the API's process takes about as much CPU as
 * a small GraphQL request) is not counted against the server.
 */
export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  headers: Record<string, string>;
  body: string;
  /** Each request gets a fresh id wherever the text `[<id>]` appears (headers or body). */
  freshIds?: boolean;
}

export interface LoadResult {
  /** 2xx answers; GraphQL errors come back as 200, so callers check what was written. */
  ok: number;
  failed: number;
  rate: number;
  p50Ms: number;
  p99Ms: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const args = [...launcherArgs('./load-client', import.meta.url), JSON.stringify(options)];
  const { stdout } = await promisify(execFile)(process.execPath, args);
  return JSON.parse(stdout) as LoadResult;
}

// Run as the child: the options come as the one argument, the result goes to stdout as JSON.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const options = JSON.parse(process.argv[2]!) as LoadOptions;
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    method: 'POST',
    headers: options.headers,
    body: options.body,
    idReplacement: options.freshIds ?? false,
  });
  const summary: LoadResult = {
    ok: result['2xx'],
    failed: result.non2xx + result.errors + result.timeouts,
    rate: result['2xx'] / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  };
  process.stdout.write(JSON.stringify(summary));
}
