import { parseArgs } from 'node:util';
import { createAccessToken, listAccessTokens, revokeAccessToken } from '../src/auth/access-tokens.js';
import { SCOPES, isScope } from '../packages/base/scopes.js';
import { loadConfig } from '../src/config.js';
import { createPrismaClient } from '../src/db/client.js';
import { openDatabase } from '../src/db/database.js';
import { createLogger } from '../packages/base/logger.js';

const usage = `Access tokens for services (stored hashed; the token is printed once).
  npm run token -- create --name <name> --scope <scope> [--scope <scope> ...]
  npm run token -- list
  npm run token -- revoke <id or name>
Scopes:
${Object.entries(SCOPES)
  .map(([scope, meaning]) => `  ${scope.padEnd(18)} ${meaning}`)
  .join('\n')}`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { name: { type: 'string' }, scope: { type: 'string', multiple: true }, help: { type: 'boolean' } },
});
const [command, target] = positionals;
if (values.help || !command) {
  console.log(usage);
  process.exit(values.help ? 0 : 2);
}

const database = await openDatabase(loadConfig(), createLogger('warn'));
const db = createPrismaClient(database.url, 1);
let exitCode = 0;
try {
  if (command === 'create') {
    const scopes = values.scope ?? [];
    const unknown = scopes.filter((scope) => !isScope(scope));
    if (!values.name || scopes.length === 0 || unknown.length > 0) {
      throw new Error(unknown.length ? `unknown scope: ${unknown.join(', ')}\n${usage}` : usage);
    }
    const { id, token } = await createAccessToken(db, values.name, scopes.filter(isScope));
    console.log(`Created access token ${id} "${values.name}" (${scopes.join(', ')}). It is shown only now:\n${token}`);
  } else if (command === 'list') {
    console.table(
      (await listAccessTokens(db)).map((row) => ({
        id: row.id,
        name: row.name,
        scopes: row.scopes.join(' '),
        created: row.createdAt.toISOString(),
        lastUsed: row.lastUsedAt?.toISOString() ?? 'never',
        revoked: row.revokedAt?.toISOString() ?? '',
      })),
    );
  } else if (command === 'revoke' && target) {
    const count = await revokeAccessToken(db, target);
    console.log(count > 0 ? `Revoked ${count} token(s).` : `No active token has id or name "${target}".`);
    exitCode = count > 0 ? 0 : 1;
  } else {
    throw new Error(usage);
  }
} catch (error) {
  console.error((error as Error).message);
  exitCode = 2;
} finally {
  await db.$disconnect();
  await database.stop();
}
process.exit(exitCode);
