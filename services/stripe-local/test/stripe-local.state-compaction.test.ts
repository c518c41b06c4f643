import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Accounts } from '../http/accounts.js';
import type { CustomerRecord } from '../resources/customers.js';
import { StateFile } from '../state/state-file.js';

const dir = mkdtempSync(path.join(tmpdir(), 'stripe-local-compaction-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet = { warn() {} };
const customer = (id: string, created: number): CustomerRecord => ({
  id,
  created,
  email: null,
  name: null,
  description: null,
  phone: null,
  metadata: {},
  defaultSource: null,
  defaultPaymentMethod: null,
  deleted: false,
});

/** The emulator's accounts wired to a state file in `dir`, as http/server.ts wires them. */
function open(compactAfterLines: number) {
  const state = new StateFile(dir, quiet, compactAfterLines);
  const accounts = new Accounts({
    onEvent() {},
    baseUrl: () => 'http://127.0.0.1',
    registerAuthentication: () => 'token',
    searchLagMs: 0,
    touched: state.touched.bind(state),
  });
  state.load(accounts);
  return { state, accounts };
}

describe('stripe-local: the state file is compacted while it runs', () => {
  it('past its line budget it is rewritten as a snapshot, concurrent commits included; a restart loads the same records', async () => {
    const { state, accounts } = open(10);
    const account = accounts.of('sk_test_compaction');
    const commits: Promise<void>[] = [];
    for (let n = 0; n < 200; n++) {
      const same = account.customers.get('cus_same') ?? account.customers.add(customer('cus_same', 1));
      same.email = `v${n}@example.com`;
      account.customers.add(customer(`cus_${n}`, n));
      const commit = state.commit();
      if (commit) commits.push(commit);
      // Some commits wait for their sync in a batch, some alone.
      if (n % 20 === 0) await Promise.all(commits);
    }
    await Promise.all(commits);
    state.close();
    // 200 requests, but far fewer lines: the file was rewritten as it grew.
    expect(readFileSync(path.join(dir, 'stripe-local.state.jsonl'), 'utf8').split('\n').length).toBeLessThan(150);

    const again = open(10);
    const reloaded = again.accounts.of('sk_test_compaction');
    expect(reloaded.customers.size).toBe(201);
    expect(reloaded.customers.get('cus_same')).toMatchObject({ email: 'v199@example.com' });
    expect([...reloaded.customers.oldestFirst()].map((customer) => customer.id).slice(0, 3)).toEqual([
      'cus_same',
      'cus_0',
      'cus_1',
    ]);
    again.state.close();
  });
});
