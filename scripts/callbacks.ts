import { parseArgs } from 'node:util';
import pg from 'pg';
import { createCallbackAdmin } from '../src/callbacks/admin.js';
import { longDuration } from '../src/callbacks/definition.js';
import { loadCallbacks } from '../src/callbacks/load.js';
import { resolveSigningSecret } from '../src/callbacks/signing-secret.js';
import { deliveryWithAttempts, listDeliveries } from '../src/callbacks/store/reports.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { createLogger } from '../packages/base/logger.js';
import { schema } from '../src/schema/index.js';

const usage = `Mutation callbacks from the shell.
  npm run callbacks -- list [--status pending|delivered|failed|dead] [--callback <name>] [--node <id>] [--limit 20]
  npm run callbacks -- show <delivery id>
  npm run callbacks -- redeliver <delivery id>
  npm run callbacks -- redeliver-all <callback> [--status failed|dead] [--since <ISO time>] [--until <ISO time>] [--yes]
      counts the failed and dead deliveries in the range; with --yes, sends them again
  npm run callbacks -- trigger <callback> <node id>      sends the callback now for an existing node
  npm run callbacks -- enable <callback> | disable <callback>
  npm run callbacks -- rotate <callback> [--grace 24h]   a new secret, shown once; the old one keeps signing for the grace
  npm run callbacks -- retire <callback>                 ends the grace now: only the newest secret signs`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    status: { type: 'string' },
    callback: { type: 'string' },
    node: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    yes: { type: 'boolean' },
    limit: { type: 'string', default: '20' },
    grace: { type: 'string', default: '24h' },
    help: { type: 'boolean' },
  },
});
const [command, target, nodeId] = positionals;
if (values.help || !command) {
  console.log(usage);
  process.exit(values.help ? 0 : 2);
}

const config = loadConfig();
const database = await openDatabase(config, createLogger('warn'));
const pool = new pg.Pool({ connectionString: database.url, max: 2 });
const callbacks = loadCallbacks({
  file: config.CALLBACKS_FILE,
  schema,
  sharedSecret: resolveSigningSecret(config).secret,
});
const admin = createCallbackAdmin(pool, callbacks);
let exitCode = 0;

function isoTime(text: string): Date {
  const time = new Date(text);
  if (Number.isNaN(time.getTime())) throw new Error(`Not a time: ${text} (use ISO 8601, e.g. 2026-11-25T10:00:00Z)`);
  return time;
}
try {
  if (command === 'list') {
    console.log('Callbacks:');
    console.table(await admin.list());
    const rows = await listDeliveries(pool, {
      status: values.status ?? null,
      callback: values.callback ?? null,
      nodeId: values.node ?? null,
      limit: Number(values.limit),
    });
    console.log('Deliveries, newest first:');
    console.table(rows);
  } else if (command === 'show' && target) {
    const found = await deliveryWithAttempts(pool, target);
    if (!found) throw new Error(`No delivery ${target}`);
    console.log(JSON.stringify(found.delivery, null, 2));
    console.table(found.attempts);
  } else if (command === 'redeliver' && target) {
    await admin.redeliver(target);
    console.log(`Delivery ${target} is queued again; a running worker sends it now.`);
  } else if (command === 'trigger' && target && nodeId) {
    console.log(`Delivery ${await admin.trigger(target, nodeId)} is queued; a running worker sends it now.`);
  } else if (command === 'redeliver-all' && target) {
    const filter = {
      callback: target,
      statuses: values.status ? [values.status.toUpperCase() as 'FAILED' | 'DEAD'] : (['FAILED', 'DEAD'] as const),
      createdAfter: values.since ? isoTime(values.since) : null,
      createdBefore: values.until ? isoTime(values.until) : null,
    };
    if (!filter.statuses.every((status) => status === 'FAILED' || status === 'DEAD'))
      throw new Error('--status is failed or dead');
    const count = await admin.countRedeliverable(filter);
    if (!values.yes) console.log(`${count} deliveries match; add --yes to send them again.`);
    else
      console.log(
        `${await admin.redeliverMatching(filter)} deliveries are queued again; a running worker sends them now.`,
      );
  } else if (command === 'rotate' && target) {
    const grace = longDuration.safeParse(values.grace);
    if (!grace.success) throw new Error(`--grace: a duration like 30m, 12h or 5d, not "${values.grace}"`);
    const { secret, previousUntil } = await admin.rotateSecret(target, grace.data);
    console.log(`New signing secret of ${target} (shown once; give it to its receiver):\n  ${secret}`);
    console.log(
      `Until ${previousUntil.toISOString()} each request carries both signatures (webhook-signature: v1,<new> v1,<old>);` +
        ` then only the new one. End it sooner with: npm run callbacks -- retire ${target}`,
    );
  } else if (command === 'retire' && target) {
    console.log(
      `${await admin.retireOlderSecrets(target)} older secret(s) of ${target} stopped signing; only the newest signs now.`,
    );
  } else if ((command === 'enable' || command === 'disable') && target) {
    console.table([await admin.setEnabled(target, command === 'enable')]);
  } else {
    throw new Error(usage);
  }
} catch (error) {
  console.error((error as Error).message);
  exitCode = 2;
} finally {
  await pool.end();
  await database.stop();
}
process.exit(exitCode);
