import { spawn } from 'node:child_process';
import { launcherArgs } from '../../packages/base/launcher.js';
import { migrationsPending } from './migrations.js';

/**
 * Applies pending migrations in a short-lived process of its own, so that a long-running process
 * never loads the wasm schema engine: its compilation leaves about 60-90 MB resident for the life of
 * the process that loaded it. Nothing pending (every start after the first): no process at all.
 */
export async function applyMigrationsApart(databaseUrl: string): Promise<string[]> {
  if (!(await migrationsPending(databaseUrl))) return [];
  const child = spawn(process.execPath, launcherArgs('./migrate-run', import.meta.url), {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4_000)));
  const code = await new Promise<number | string>((resolve) =>
    child.once('exit', (exitCode, signal) => resolve(signal ?? exitCode ?? 0)),
  );
  if (code !== 0) throw new Error(`applying migrations failed (${code}): ${stderr.trim()}`);
  return JSON.parse(stdout) as string[];
}
