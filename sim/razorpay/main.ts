import { loadConfig } from '../../lib/config';
import { createRazorpaySimulator } from './server';

/** The Razorpay simulator as its own process, for sandbox mode and the dev stack. */
async function main() {
  const config = loadConfig();
  const sim = await createRazorpaySimulator({
    // Its control routes have no authentication: loopback only.
    host: '127.0.0.1',
    port: config.payments.razorpaySimulator.port,
    webhookUrl: config.payments.razorpayWebhookUrl,
    expirySweepMs: 10_000,
    logger: { level: config.logLevel },
  });
  sim.app.log.info({ url: sim.url }, 'Razorpay simulator ready');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      sim.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
