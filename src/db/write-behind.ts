import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { statementName } from './prepared-statements.js';

/**
 * Statements of a transaction whose answer nobody reads (its BEGIN, the outbox's insert, an
 * Idempotency-Key's saved response) ride in the same network write as the transaction's next
 * statement instead of costing a round trip and a write of their own: on this machine a socket write
 * is the largest single cost of a mutation. PostgreSQL runs them in the order sent, so the
 * transaction means what it meant; a failure of one fails the statement it rode with (a COMMIT then
 * rolls back, as PostgreSQL does after any error in a transaction), so nothing is lost unnoticed.
 */
type Statement = { text: string; values?: unknown[] };

const NO_ROWS = { command: '', rowCount: 0, oid: 0, rows: [], fields: [] };

/** `nameStatements`: the statements behind are named as Prisma names its own (DATABASE_PREPARED_STATEMENTS). */
export type WriteBehindConfig = pg.ClientConfig & { nameStatements?: boolean };

export class WriteBehindClient extends pg.Client {
  #pending: Statement[] = [];
  #beginPending = false;
  #inTransaction = false;
  readonly #nameStatements: boolean;

  constructor(config: WriteBehindConfig = {}) {
    // Pipelining lets the statements behind be sent before the one ahead is answered.
    super({ ...config, pipeline: true });
    this.#nameStatements = config.nameStatements ?? false;
  }

  /** Whether `defer` may be used: inside a transaction this connection began. */
  get inTransaction(): boolean {
    return this.#inTransaction;
  }

  /** Sends `statement` with the next statement of this transaction (COMMIT at the latest). */
  defer(statement: Statement): void {
    if (!this.#inTransaction) throw new Error('write-behind outside a transaction');
    this.#pending.push(statement);
  }

  // pg's overloads are many; Prisma's adapter uses the promise form with a config object.
  override query(...args: unknown[]): never {
    const [config, values, callback] = args as [string | pg.QueryConfig | undefined, unknown, unknown];
    const text = typeof config === 'string' ? config : config?.text;
    const promiseForm = typeof values !== 'function' && callback === undefined && !isSubmittable(config);
    const superQuery = (...queryArgs: unknown[]) => (super.query as (...a: unknown[]) => unknown)(...queryArgs);
    if (!promiseForm) return superQuery(...args) as never;
    if (text === 'BEGIN' && !this.#inTransaction) {
      this.#inTransaction = this.#beginPending = true;
      const scope = scopes.getStore();
      if (scope && !scope.connection) scope.connection = this;
      return Promise.resolve(NO_ROWS) as never;
    }
    if (text === 'COMMIT' || text === 'ROLLBACK') this.#inTransaction = false;
    if (text === 'ROLLBACK') {
      this.#pending = [];
      // Nothing was sent: there is nothing to roll back.
      if (this.#beginPending) return ((this.#beginPending = false), Promise.resolve(NO_ROWS)) as never;
    }
    const ahead = [...(this.#beginPending ? [{ text: 'BEGIN' }] : []), ...this.#pending];
    this.#beginPending = false;
    this.#pending = [];
    if (ahead.length === 0) return superQuery(...args) as never;
    const stream = (
      this as unknown as { connection: { stream: NodeJS.WritableStream & { cork(): void; uncork(): void } } }
    ).connection.stream;
    stream.cork();
    let sent: Promise<unknown>[];
    let main: Promise<unknown>;
    try {
      sent = ahead.map(
        ({ text, values }) =>
          superQuery(
            values ? { ...(this.#nameStatements && { name: statementName(text) }), text, values } : text,
          ) as Promise<unknown>,
      );
      main = superQuery(...args) as Promise<unknown>;
    } finally {
      stream.uncork();
    }
    return Promise.allSettled(sent).then((results) => {
      const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      return main.then(
        (result) => {
          if (failed) throw failed.reason;
          return result;
        },
        (error: unknown) => {
          // The statement behind failed first; this one only says the transaction is aborted.
          throw failed ? failed.reason : error;
        },
      );
    }) as never;
  }
}

function isSubmittable(config: unknown): boolean {
  return typeof (config as { submit?: unknown } | undefined)?.submit === 'function';
}

type Scope = { connection: WriteBehindClient | null; tx: object | null };
const scopes = new AsyncLocalStorage<Scope>();

/** Runs `work` (which opens one Prisma transaction) so that its statements may be written behind. */
export function withWriteBehind<T>(work: () => Promise<T>): Promise<T> {
  return scopes.run({ connection: null, tx: null }, work);
}

/** Called inside the transaction's callback: `tx` is the client whose statements `writeBehind` may defer. */
export function attachTransaction(tx: object): void {
  const scope = scopes.getStore();
  if (scope) scope.tx = tx;
}

/**
 * Defers `text` to ride with `tx`'s next statement; false when `tx` is not a transaction opened by
 * `withWriteBehind` on a write-behind connection, and the caller runs the statement itself.
 */
export function writeBehind(tx: object, text: string, values: unknown[]): boolean {
  const scope = scopes.getStore();
  if (!scope || scope.tx !== tx || !scope.connection?.inTransaction) return false;
  scope.connection.defer({ text, values });
  return true;
}

/**
 * A statement of `tx` whose answer nobody reads (a write, a lock): written behind when it can be,
 * else run now. Either way it has run before `tx`'s next statement does.
 */
export async function sendBehind(
  tx: { $executeRawUnsafe(text: string, ...values: unknown[]): Promise<number> },
  text: string,
  values: unknown[],
): Promise<void> {
  if (!writeBehind(tx, text, values)) await tx.$executeRawUnsafe(text, ...values);
}
