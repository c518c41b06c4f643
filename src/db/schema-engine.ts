import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';

// Prisma's own schema engine, built to WebAssembly and shipped on npm: the migration SQL `prisma migrate`
// would write, without downloading the native engine binary.
type Engine = {
  diff(input: unknown): Promise<{ exitCode: number; stdout: string | null }>;
  free(): void;
};
type EngineModule = {
  SchemaEngine: { new: (options: unknown, log: (message: string) => void, adapter: unknown) => Promise<Engine> };
};

let engineModule: Promise<EngineModule> | undefined;

function loadEngineModule(): Promise<EngineModule> {
  engineModule ??= (async () => {
    const directory = path.dirname(createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm'));
    // A wasm-bindgen "bundler" build: its glue module and the wasm instance are joined by hand.
    const glue = (await import(path.join(directory, 'schema_engine_bg.js'))) as EngineModule & {
      __wbg_set_wasm(exports: WebAssembly.Exports): void;
    };
    const bytes = await readFile(path.join(directory, 'schema_engine_bg.wasm'));
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': glue as never });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })();
  return engineModule;
}

/** Runs `work` with an engine connected to `databaseUrl`, and frees it afterwards. */
export async function withSchemaEngine<T>(
  databaseUrl: string,
  schemaFile: { path: string; content: string },
  work: (engine: Engine) => Promise<T>,
): Promise<T> {
  const { SchemaEngine } = await loadEngineModule();
  // The engine holds `pg_advisory_lock(72707369)` on a pooled connection and free() does not close the
  // pool, so the lock would outlive the work until the pool's idle timeout and stall the next process
  // that migrates (an API and a worker starting together waited 10 s): close what it opened.
  const factory = new PrismaPg({ connectionString: databaseUrl });
  const opened: { dispose(): Promise<void> }[] = [];
  const track = <T extends { dispose(): Promise<void> }>(adapter: T): T => (opened.push(adapter), adapter);
  const connect = factory.connect.bind(factory);
  const connectToShadowDb = factory.connectToShadowDb.bind(factory);
  factory.connect = async () => track(await connect());
  factory.connectToShadowDb = async () => track(await connectToShadowDb());
  const adapter = bindMigrationAwareSqlAdapterFactory(factory);
  const engine = await SchemaEngine.new(
    { datamodels: [[schemaFile.path, schemaFile.content]] },
    () => undefined,
    adapter,
  );
  try {
    return await work(engine);
  } finally {
    engine.free();
    await Promise.all(opened.map((connection) => connection.dispose().catch(() => undefined)));
  }
}
