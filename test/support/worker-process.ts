import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { rootDir } from '../../src/config.js';
import { TEST_SIGNING_SECRET } from '../../packages/testing/signing-secret.js';
import type { TestPaygraph } from './paygraph.js';

/** A worker in its own process, as `npm run worker` starts it; resolves once it says it is ready. */
export function startWorkerProcess(app: TestPaygraph, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(rootDir, 'src/main.ts'), 'worker'], {
    cwd: rootDir,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      DATABASE_URL: app.databaseUrl,
      CALLBACKS_FILE: app.callbacksFile,
      CALLBACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
      LOG_LEVEL: 'info',
      ...env,
    },
  });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Paygraph is ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready:\n${output}`)));
  });
}

/** Kills with SIGKILL and resolves once the process is gone. */
export const killed = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
