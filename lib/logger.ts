import { pino, type Logger } from 'pino';
import type { Config } from './config';

/**
 * The JSON logger of the processes Fastify does not build one for (the worker): pino, at
 * LOG_LEVEL, with pino's standard serializers (`err`), one JSON object a line on stdout.
 */
export function createLogger(level: Config['logLevel']): Logger {
  return pino({ level });
}
