import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { rootDir } from '../src/config.js';
import { printedSchema } from '../src/schema/index.js';

// Committed, so a change to the API shows up in review; a test fails when it is stale.
writeFileSync(path.join(rootDir, 'schema.graphql'), `${printedSchema()}\n`);
console.log('Wrote schema.graphql');
