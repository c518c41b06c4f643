// `node --import tsx --import <this>`: appends the URL of every module the process resolves to
// $PAYGRAPH_MODULE_LOG, so a test can say what a production process loads.
import { register } from 'node:module';

register('./record-modules-hooks.ts', import.meta.url, { data: { file: process.env.PAYGRAPH_MODULE_LOG } });
