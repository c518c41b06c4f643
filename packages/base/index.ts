// What the base package offers every deployable (the API and worker, the services, the local Stripe).
// It imports nothing of theirs: every arrow points down to here (test/imports.layers.test.ts).
export { createLogger, logger, logLevelFromEnv, LOG_LEVELS, type Logger } from './logger.js';
export * from './http-post.js';
export * from './secret-files.js';
export * from './launcher.js';
export * from './parent-process.js';
export * from './free-port.js';
export * from './scopes.js';
export * from './service-budget.js';
export * from './listen-host.js';
export * from './services.js';
