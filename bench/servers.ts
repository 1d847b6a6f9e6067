import { buildApp } from '../api/app';
import { loadConfig, type Env } from '../lib/config';
import { createMetaSimulator } from '../sim/meta';
import { DEFAULT_THROUGHPUT } from '../store/accounts';
import { listenOnLoopback, runMain, serveChild, type Resources } from './support';

/** What a benchmark hands its forked simulator. */
export interface SimRequest {
  port: number;
  accessToken: string;
  appSecret: string;
}

/**
 * A benchmark's entry: `serve api` and `serve simulator` run the servers it forks (each in a
 * process of its own), anything else runs `main`.
 */
export function benchEntry(
  usage: string,
  main: (argv: string[], r: Resources) => Promise<number>,
): void {
  const [command, role] = process.argv.slice(2);
  if (command !== 'serve') return runMain(usage, main);
  if (role === 'api') {
    serveChild<{ env: Env }, { port: number }>(async ({ env }) =>
      listenOnLoopback(await buildApp(loadConfig(env), { logger: false })),
    );
  } else if (role === 'simulator') {
    serveChild<SimRequest, { port: number }>(async (request) => {
      const sim = await createMetaSimulator({
        host: '127.0.0.1',
        port: request.port,
        accessToken: request.accessToken,
        appSecret: request.appSecret,
        webhookUrl: null,
        throughputPerSecond: DEFAULT_THROUGHPUT,
        statusWebhooks: { enabled: false },
      });
      return { reply: { port: request.port }, close: () => sim.close() };
    });
  } else {
    throw new Error(`Unknown server '${role}'`);
  }
}
