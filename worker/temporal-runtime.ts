import { createServer } from 'node:net';
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Config } from '../lib/config';

const PINO_LEVEL = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
} as const satisfies Record<LogLevel, string>;

/** The Core SDK's log filter for a LOG_LEVEL: its messages are filtered before they cross over. */
const CORE_LEVEL: Record<Config['logLevel'], LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'ERROR',
  silent: 'ERROR',
};

/** The SDK's logger interface over pino; the SDK passes errors as `error`, pino serializes `err`. */
function temporalLogger(log: Logger): TemporalLogger {
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const { error, ...rest } = meta ?? {};
    log[PINO_LEVEL[level]](error === undefined ? rest : { ...rest, err: error }, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}

/** A port free on loopback now, for the Core SDK's exporter (which cannot report one it picks). */
async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface TemporalTelemetry {
  /** The SDK's metrics (workers, pollers, slots, task latencies, server calls) as Prometheus text. */
  metrics(): Promise<string>;
}

/**
 * Installs the SDK's runtime, before any connection: its logs (the SDK's, Core's forwarded ones,
 * workflows' and activities' context loggers) go through pino as JSON, and its metrics are
 * exported by Core on a loopback port of its own, which the worker's /metrics reads and appends.
 */
export async function installTemporalRuntime(
  config: Config,
  log: Logger,
): Promise<TemporalTelemetry> {
  const logger = temporalLogger(log);
  let lastError: unknown;
  // The port is free when chosen; another process could take it before Core binds it.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeLoopbackPort();
    try {
      Runtime.install({
        logger,
        telemetryOptions: {
          logging: { forward: {}, filter: { core: CORE_LEVEL[config.logLevel], other: 'ERROR' } },
          metrics: { prometheus: { bindAddress: `127.0.0.1:${port}` } },
        },
      });
    } catch (err) {
      lastError = err;
      continue;
    }
    const url = `http://127.0.0.1:${port}/metrics`;
    return {
      async metrics() {
        const res = await fetch(url);
        if (!res.ok) throw new Error(`The SDK's metrics exporter answered ${res.status}`);
        return res.text();
      },
    };
  }
  throw lastError;
}
