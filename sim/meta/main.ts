import { loadConfig } from '../../lib/config';
import { createMetaSimulator } from './server';

/** The simulator as its own process, for sandbox mode and the dev stack. */
async function main() {
  const config = loadConfig();
  const { simulator } = config.meta;
  const sim = await createMetaSimulator({
    // Its control routes have no authentication: loopback only.
    host: '127.0.0.1',
    port: simulator.port,
    accessToken: simulator.accessToken,
    appSecret: simulator.appSecret,
    webhookUrl: simulator.webhookUrl,
    logger: { level: config.logLevel },
  });
  sim.app.log.info({ url: sim.url, webhookUrl: simulator.webhookUrl }, 'Meta simulator ready');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      sim.close().then(
        () => process.exit(0),
        (err: unknown) => {
          sim.app.log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
