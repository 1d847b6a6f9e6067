/** The logging the domain needs: pino's (Fastify's) logger and a console adapter both fit. */
export interface Log {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}
