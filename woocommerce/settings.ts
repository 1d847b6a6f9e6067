import type { WooStoreSettings, WooTemplateMapping } from '../store/woocommerce';

const body = (...placeholders: string[]) => [
  { type: 'body', parameters: placeholders.map((text) => ({ type: 'text', text })) },
];

const template = (name: string, ...placeholders: string[]): WooTemplateMapping => ({
  name,
  language: 'en',
  components: body(...placeholders),
});

/**
 * What a new store sends unless told otherwise: the reference's three order updates (confirmed,
 * shipped, delivered), one payment reminder an hour after an unpaid order, at most 3 messages
 * per order, no opt-in required.
 */
export function defaultWooSettings(): WooStoreSettings {
  return {
    status_templates: {
      processing: template('order_confirmation', '{{first_name | there}}', '{{order_number}}'),
      shipped: template(
        'order_shipped',
        '{{first_name | there}}',
        '{{order_number}}',
        '{{tracking_url | tracking_number | on its way}}',
      ),
      completed: template('order_delivered', '{{first_name | there}}', '{{order_number}}'),
    },
    pending_reminder: {
      enabled: true,
      delay_minutes: 60,
      template: template(
        'payment_reminder',
        '{{first_name | there}}',
        '{{total_with_currency}}',
        '{{payment_url}}',
      ),
    },
    opt_in: { required: false, meta_key: 'whatsapp_opt_in' },
    max_messages_per_order: 3,
  };
}
