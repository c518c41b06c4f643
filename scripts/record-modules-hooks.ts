import { appendFileSync } from 'node:fs';
import type { InitializeHook, ResolveHook } from 'node:module';

let file: string | undefined;

export const initialize: InitializeHook<{ file?: string }> = (data) => {
  file = data.file;
};

export const resolve: ResolveHook = async (specifier, context, next) => {
  const resolved = await next(specifier, context);
  if (file) appendFileSync(file, `${resolved.url}\n`);
  return resolved;
};
