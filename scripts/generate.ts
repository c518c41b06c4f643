import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rootDir } from '../src/config.js';

// `prisma generate` needs no schema engine, but the CLI looks for its native binary at start and
// would try to download it; a stub that is never run satisfies the check offline.
const env = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) {
  const stub = path.join(mkdtempSync(path.join(tmpdir(), 'paygraph-prisma-')), 'schema-engine');
  writeFileSync(stub, '#!/bin/sh\necho "the native schema engine is not used by Paygraph" >&2\nexit 1\n');
  chmodSync(stub, 0o755);
  env.PRISMA_SCHEMA_ENGINE_BINARY = stub;
}
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
const result = spawnSync(path.join(rootDir, 'node_modules/.bin/prisma'), ['generate'], {
  cwd: rootDir,
  env,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
