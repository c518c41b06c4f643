import {
  closeSync,
  existsSync,
  fdatasync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { Accounts } from '../http/accounts.js';
import type { Account } from '../resources/account.js';
import { START_ENDPOINT_DESCRIPTION } from '../resources/webhook-endpoints.js';
import { encodeRecord, recordsOf, restoreAccount, type KeptAccount } from './records.js';

/** The format this emulator writes and reads; a file of another is refused, never rewritten. */
export const STATE_FORMAT = 1;
export const STATE_FILE = 'stripe-local.state.jsonl';
const HEADER = { format: 'stripe-local-state', version: STATE_FORMAT };
/** Rewritten as a snapshot once its lines outnumber this, or twice what the last snapshot held. */
const COMPACT_AFTER_LINES = 20_000;

/** One change of a commit line: a record of an account, or its settings. */
type Change = { a: string; k: string; r: { id: string } } | { a: string; settings: Account['settings'] };

export interface StateLogger {
  warn(details: object, message: string): void;
}

/** A state file that cannot be read: the message names it and says what to do; the file is left as it is. */
export class StateFileError extends Error {}

/**
 * The emulator's state in one append-only file of JSON lines: a header, then one line per request that
 * changed something, holding every record it made or touched, written and fsync'd before the answer is
 * sent, so a kill -9 loses at most the request in flight. Loading replays the lines (a later copy of a
 * record replaces an earlier one), then rewrites the file as a snapshot through a temporary file and a
 * rename, as it does again whenever the lines grow well past what they describe.
 */
export class StateFile {
  readonly file: string;
  private readonly pending = new Map<string, Change>();
  private readonly restricted = new Map<string, Change>();
  private readonly settingsWritten = new Map<Account, string>();
  private accounts: Accounts | undefined;
  private fd: number | undefined;
  private lines = 0;
  private linesAtSnapshot = 0;
  /** Commits written but not yet synced, waiting for the next fdatasync; one sync serves all that wait. */
  private waiting: { resolve(): void; reject(error: Error): void }[] = [];
  private syncing = false;
  private closing = false;

  constructor(
    dir: string,
    private readonly logger: StateLogger,
    private readonly compactAfterLines = COMPACT_AFTER_LINES,
  ) {
    this.file = path.join(dir, STATE_FILE);
  }

  /** What `Account` tells of a record a request made or was handed. */
  touched(account: Account, kind: string, record: { id: string }): void {
    if (kind === 'restrictedKeys') this.restricted.set(record.id, { a: account.key, k: kind, r: record });
    if (this.fd === undefined) return; // loading: what is read is already written
    // Made again, with that start's secret, at every start.
    if (madeAtStart(kind, record)) return;
    const change = { a: account.key, k: kind, r: record };
    this.pending.set(`${account.key} ${kind} ${record.id}`, change);
  }

  /** Reads the file (if any) into `accounts`, then rewrites it as a snapshot and keeps it open for appending. */
  load(accounts: Accounts): void {
    this.accounts = accounts;
    mkdirSync(path.dirname(this.file), { recursive: true });
    if (existsSync(this.file))
      for (const [key, kept] of this.read()) {
        try {
          restoreAccount(accounts, key, kept);
        } catch (error) {
          throw this.unreadable((error as Error).message);
        }
      }
    this.snapshot();
  }

  /**
   * Writes what the request that just ended changed, at once (a kill -9 from then on keeps it), and
   * resolves once it is synced to disk (a power cut keeps it too). Requests that commit while a sync runs
   * share the next one, so concurrent requests do not queue behind each other's fsync.
   */
  commit(): Promise<void> | undefined {
    if (this.fd === undefined) return undefined;
    const changes = [...this.pending.values()].map((change) =>
      'k' in change ? { ...change, r: encodeRecord(change.k, change.r) } : change,
    );
    this.pending.clear();
    for (const account of this.accounts!) {
      const settings = JSON.stringify(account.settings);
      if (this.settingsWritten.get(account) === settings) continue;
      this.settingsWritten.set(account, settings);
      changes.push({ a: account.key, settings: account.settings });
    }
    if (changes.length === 0) return undefined;
    // One line per request: a torn last line is a request that was never answered.
    writeSync(this.fd, `${JSON.stringify(changes)}\n`);
    this.lines++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.syncing) this.sync();
    });
  }

  /** A read changed nothing: what it was handed is not written. */
  discard(): void {
    this.pending.clear();
  }

  close(): void {
    if (this.syncing) this.closing = true;
    else if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private sync(): void {
    const batch = this.waiting;
    const fd = this.fd!;
    this.waiting = [];
    this.syncing = true;
    fdatasync(fd, (error) => {
      this.syncing = false;
      if (this.closing) {
        closeSync(fd);
        this.closing = false;
      }
      try {
        if (error) throw error;
        // Between syncs, so no sync runs on the file it replaces.
        if (this.fd !== undefined && this.lines > Math.max(this.compactAfterLines, 2 * this.linesAtSnapshot))
          this.snapshot();
      } catch (failure) {
        batch.forEach((commit) => commit.reject(failure as Error));
        return;
      }
      batch.forEach((commit) => commit.resolve());
      if (this.waiting.length && this.fd !== undefined) this.sync();
      // Closed meanwhile: what waits was written, and the process is stopping anyway.
      else if (this.fd === undefined) this.waiting.splice(0).forEach((commit) => commit.resolve());
    });
  }

  private read(): Map<string, KeptAccount> {
    const text = readFileSync(this.file, 'utf8');
    const lines = text.split('\n');
    const torn = lines.pop()!;
    if (torn !== '')
      this.logger.warn(
        { file: this.file, dropped: torn.slice(0, 200) },
        'stripe-local: the last line of the state file was cut short (the process stopped while writing it); that request is dropped, the rest loads',
      );
    this.checkHeader(lines[0]);
    const kept = new Map<string, KeptAccount>();
    const accountOf = (key: string) => {
      let account = kept.get(key);
      if (!account) kept.set(key, (account = { records: new Map() }));
      return account;
    };
    for (let index = 1; index < lines.length; index++) {
      for (const change of this.parseLine(lines[index]!, index + 1)) {
        const account = accountOf(change.a);
        if ('settings' in change) account.settings = change.settings;
        else {
          let records = account.records.get(change.k);
          if (!records) account.records.set(change.k, (records = new Map()));
          records.set(change.r.id, change.r as Record<string, unknown>);
        }
      }
    }
    return kept;
  }

  private checkHeader(line: string | undefined): void {
    let header: { format?: unknown; version?: unknown } | undefined;
    try {
      header = JSON.parse(line ?? '') as typeof header;
    } catch {
      header = undefined;
    }
    if (header?.format !== HEADER.format) throw this.unreadable('it does not start with a stripe-local state header');
    if (header.version !== STATE_FORMAT)
      throw this.unreadable(
        `it is in format version ${String(header.version)}, written by ${Number(header.version) < STATE_FORMAT ? 'an older' : 'a newer'} stripe-local; this one reads version ${STATE_FORMAT}`,
      );
  }

  private parseLine(line: string, number: number): Change[] {
    try {
      const changes = JSON.parse(line) as Change[];
      if (!Array.isArray(changes) || changes.some((change) => typeof change?.a !== 'string'))
        throw new Error('not a list of changes');
      return changes;
    } catch {
      throw this.unreadable(`line ${number} is not a change this emulator wrote`);
    }
  }

  private unreadable(why: string): StateFileError {
    return new StateFileError(
      `cannot load its state from ${this.file}: ${why}. The file is left as it is. Move it away (or delete it) to start with an empty state, or run the stripe-local that wrote it.`,
    );
  }

  /** The whole state, written to a temporary file and renamed over the old one: either is complete. */
  private snapshot(): void {
    this.close();
    const temporary = `${this.file}.tmp`;
    const fd = openSync(temporary, 'w', 0o600);
    let chunk = `${JSON.stringify(HEADER)}\n`;
    let lines = 0;
    const write = (changes: Change[]) => {
      chunk += `${JSON.stringify(changes)}\n`;
      lines++;
      if (chunk.length < 1_000_000) return;
      writeSync(fd, chunk);
      chunk = '';
    };
    this.settingsWritten.clear();
    for (const account of this.accounts!) {
      this.settingsWritten.set(account, JSON.stringify(account.settings));
      write([{ a: account.key, settings: account.settings }]);
      let changes: Change[] = [];
      for (const [kind, record] of recordsOf(account)) {
        if (madeAtStart(kind, record)) continue;
        changes.push({ a: account.key, k: kind, r: encodeRecord(kind, record) as { id: string } });
        if (changes.length < 500) continue;
        write(changes);
        changes = [];
      }
      if (changes.length) write(changes);
    }
    for (const change of this.restricted.values()) write([change]);
    writeSync(fd, chunk);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temporary, this.file);
    const dir = openSync(path.dirname(this.file), 'r');
    fsyncSync(dir);
    closeSync(dir);
    this.fd = openSync(this.file, 'a', 0o600);
    this.lines = 0;
    this.linesAtSnapshot = lines;
    this.pending.clear();
  }
}

/** The endpoint STRIPE_LOCAL_WEBHOOK_URL makes at each start. */
const madeAtStart = (kind: string, record: { id: string }) =>
  kind === 'webhookEndpoints' && (record as { description?: unknown }).description === START_ENDPOINT_DESCRIPTION;
