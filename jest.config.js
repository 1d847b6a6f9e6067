/**
 * Packages published only as ES modules. Node loads them natively, jest's CommonJS
 * runtime does not, so they are transpiled like our own sources.
 */
const esmOnly = ['cookie', '@fastify/cookie', 'content-disposition'];

// isolated-vm (custom actions) needs the startup snapshot off: jest's workers and
// every process a test spawns inherit this.
if (!(process.env.NODE_OPTIONS ?? '').includes('--no-node-snapshot')) {
  process.env.NODE_OPTIONS = `--no-node-snapshot ${process.env.NODE_OPTIONS ?? ''}`.trim();
}

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(ts|js)$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  // Suites run in a worker that is replaced once it holds this much after a suite: in one
  // process for the whole run, what each suite leaves behind added up to a heap whose
  // collections took both cores.
  workerIdleMemoryLimit: '1GB',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
