/**
 * How the worker process is started (dev stack, benchmarks, tests; `package.json`,
 * `docker-compose.yml` and the `Dockerfile` spell the same out).
 *
 * Its live heap stays under 100 MB at 1,000 messages/s, but with the default heap limit (a
 * quarter of the machine's memory) V8 lets garbage pile up to several times that before a full
 * collection: a 384 MB limit keeps the process under 512 MB resident without costing pace.
 * `--no-node-snapshot` is what isolated-vm needs.
 */
export const WORKER_NODE_FLAGS = ['--no-node-snapshot', '--max-old-space-size=384'];

/** glibc's default of 8 malloc arenas per core holds freed memory across many threads. */
export const WORKER_ENV = { MALLOC_ARENA_MAX: '2' };
