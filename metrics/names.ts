/**
 * Waflow's metrics, by name, with the help text /metrics shows for each. Counters are stored
 * cluster-wide (store.counters, through a CounterBuffer); gauges are computed at scrape time.
 */
export const METRICS = {
  messagesSent: {
    name: 'waflow_messages_sent_total',
    help: 'Messages Meta accepted, per WhatsApp account.',
  },
  metaErrors: {
    name: 'waflow_meta_errors_total',
    help: 'Errors the Meta Cloud API answered to sends, per WhatsApp account and Meta error code.',
  },
  webhookDeliveries: {
    name: 'waflow_webhook_deliveries_total',
    help:
      'Outbound webhook delivery attempts, per organization and outcome ' +
      '(delivered, retrying, held, failed, gone, skipped).',
  },
  sendQueueDepth: {
    name: 'waflow_send_queue_depth',
    help: 'Messages waiting to be sent, per WhatsApp account and class (transactional, bulk).',
  },
  sendRate: {
    name: 'waflow_send_rate',
    help: 'Messages a second each WhatsApp account is sending now (0 when idle).',
  },
  inboundWebhookLag: {
    name: 'waflow_inbound_webhook_lag_seconds',
    help: 'Age of the oldest stored inbound webhook not yet processed (0 when none).',
  },
  inboundWebhooksPending: {
    name: 'waflow_inbound_webhooks_pending',
    help: 'Stored inbound webhooks not yet processed.',
  },
  inboundWebhooksDead: {
    name: 'waflow_inbound_webhooks_dead',
    help: 'Stored inbound webhooks parked after their last failed attempt, until replayed.',
  },
  metaEventsUnmatched: {
    name: 'waflow_meta_events_unmatched',
    help: 'Webhook changes from Meta kept because they name a number, WABA or template Waflow does not have.',
  },
} as const;

/** Help texts by metric name, for the exposition. */
export const HELP: ReadonlyMap<string, string> = new Map(
  Object.values(METRICS).map((m) => [m.name, m.help]),
);
