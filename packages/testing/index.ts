// Test support every package's tests share; it never ships (tsconfig.build.json leaves it out, and
// test/imports.layers.test.ts lets only tests, test support and the benchmarks import it).
// Tests import the module they need, so a test file loads only that.
export * from './eventually.js';
export * from './listen.js';
export * from './signing-secret.js';
export * from './send-callback.js';
export * from './fake-paygraph.js';
export * from './stripe-gateway.js';
export * from './service-harness.js';
export * from './saved-customer.js';
export * from './purchase-payload.js';
export * from './stripe-lookups.js';
