import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

export interface LocalStripe {
  /** Give it to the services as STRIPE_API_URL, e.g. http://127.0.0.1:40123 */
  url: string;
  /** The signing secret of `webhook.url`, when a webhook receiver was given. */
  webhookSecret: string | null;
  stop(): Promise<void>;
}

export interface LocalStripeOptions {
  /**
   * A webhook endpoint of the account whose key is `accountKey`: that account's events, and no other's,
   * are POSTed here, signed as Stripe signs (`Stripe-Signature`).
   */
  webhook?: {
    accountKey: string;
    url: string;
    secret?: string;
    /** Only these event types (Stripe's enabled_events); all when left out. */ events?: readonly string[];
  };
  /** Where it keeps its state across restarts (STRIPE_LOCAL_DATA_DIR); in memory only when left out. */
  stateDir?: string;
  /** How long a new or changed object stays out of search results, as at Stripe (the test suites' fixtures set one). */
  searchLagMs?: number;
}

/**
 * Starts services/stripe-local (@paygraph/stripe-local), the repository's own stateful Stripe emulator (in memory, or kept in
 * `stateDir`; test keys only, no Stripe account), in its own process on a free loopback port. Its own process, so it
 * has a core of its own under load (bench:e2e) and cannot stall the caller; it reports the URL it
 * listens on over IPC and exits when its parent does.
 */
export async function startLocalStripe(options: LocalStripeOptions = {}): Promise<LocalStripe> {
  const child = spawn(process.execPath, [emulatorBin()], {
    env: {
      ...process.env,
      STRIPE_LOCAL_PORT: '0',
      STRIPE_LOCAL_HOST: '127.0.0.1',
      LOG_LEVEL: process.env.STRIPE_LOCAL_LOG_LEVEL ?? 'error',
      STRIPE_LOCAL_ACCOUNT_KEY: options.webhook?.accountKey ?? '',
      STRIPE_LOCAL_WEBHOOK_URL: options.webhook?.url ?? '',
      STRIPE_LOCAL_WEBHOOK_SECRET: options.webhook?.secret ?? '',
      STRIPE_LOCAL_WEBHOOK_EVENTS: options.webhook?.events?.join(',') ?? '',
      STRIPE_LOCAL_DATA_DIR: options.stateDir ?? '',
      // Unless the caller says, the environment's (npm start: unset, so search finds objects at once).
      ...(options.searchLagMs !== undefined && { STRIPE_LOCAL_SEARCH_LAG_MS: String(options.searchLagMs) }),
      // The caller's own files would otherwise fill in what it left empty.
      STRIPE_LOCAL_ACCOUNT_KEY_FILE: '',
      STRIPE_LOCAL_WEBHOOK_SECRET_FILE: '',
      NODE_ENV: 'development',
    },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    // A process group of its own: Ctrl-C in npm start's terminal stops it through its parent, after what uses it.
    detached: true,
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-2_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  // A test runner that dies must not leave the server behind (the IPC channel closing stops it too).
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (!running()) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  try {
    const ready = await new Promise<{ ready: string; webhookSecret: string | null }>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`did not report ready within ${START_TIMEOUT_MS} ms`)),
        START_TIMEOUT_MS,
      );
      child.once('message', (message) => {
        clearTimeout(timer);
        resolve(message as { ready: string; webhookSecret: string | null });
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with code ${code}`));
      });
    });
    // The channel stays open only so the child notices when this process goes; it must not keep it alive.
    child.channel?.unref();
    return { url: ready.ready, webhookSecret: ready.webhookSecret, stop };
  } catch (error) {
    await stop();
    throw new Error(
      `the local Stripe server (services/stripe-local) did not start: ${(error as Error).message}${stderr ? `: ${stderr.trim()}` : ''}`,
      { cause: error },
    );
  }
}

/**
 * The emulator's own bin, found through its workspace package, so compiled and source callers alike run
 * it from its TypeScript (it is never compiled). A production install has no emulator: say so plainly.
 */
function emulatorBin(): string {
  try {
    return createRequire(import.meta.url).resolve('@paygraph/stripe-local/bin/stripe-local.js');
  } catch {
    throw new Error(
      'the local Stripe emulator (@paygraph/stripe-local, a development tool) is not installed here: set STRIPE_SECRET_KEY to use Stripe, or run from the repository after npm install',
    );
  }
}
