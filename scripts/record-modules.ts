// `node --import <this>` (under tsx, or compiled): appends the URL of every module the process resolves
// to $PAYGRAPH_MODULE_LOG, so a test or the compiled smoke run can say what a production process loads.
import { register } from 'node:module';

const hooks = import.meta.url.endsWith('.ts') ? './record-modules-hooks.ts' : './record-modules-hooks.js';
register(hooks, import.meta.url, { data: { file: process.env.PAYGRAPH_MODULE_LOG } });
