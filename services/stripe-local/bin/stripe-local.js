#!/usr/bin/env node
// The emulator ships as TypeScript (it is a development tool, never compiled into an image): tsx's
// ESM loader runs it as it is.
import { register } from 'tsx/esm/api';

register();
await import('../run.ts');
