import type { WooStoreSettings, WooTemplateMapping } from '../store/contract/woocommerce';
import { mappingProblems } from './parameters';

const body = (...placeholders: string[]) => [
  { type: 'body', parameters: placeholders.map((text) => ({ type: 'text', text })) },
];

const template = (name: string, ...placeholders: string[]): WooTemplateMapping => ({
  name,
  language: 'en',
  components: body(...placeholders),
});

/**
 * What a new store sends unless told otherwise: the reference's three order updates with its
 * parameters (order_confirmation: name, order number; order_shipped: order number, tracking;
 * order_delivered: order number), one payment reminder an hour after an unpaid order, at most 3
 * messages per order, no opt-in required. `processing` is the confirmation: the order workflow
 * sends it when the order comes paid or becomes processing, whichever is first.
 */
export function defaultWooSettings(): WooStoreSettings {
  return {
    status_templates: {
      processing: template('order_confirmation', '{{first_name | there}}', '{{order_number}}'),
      shipped: template(
        'order_shipped',
        '{{order_number}}',
        '{{tracking_url | tracking_number | on its way}}',
      ),
      completed: template('order_delivered', '{{order_number}}'),
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

/** What the API takes: each part given replaces or (status templates) merges into the current. */
export interface WooSettingsInput {
  status_templates?: Record<string, WooTemplateMapping | null>;
  pending_reminder?: { enabled?: boolean; delay_minutes?: number; template?: WooTemplateMapping };
  opt_in?: { required?: boolean; meta_key?: string };
  max_messages_per_order?: number;
}

export function mergeWooSettings(
  current: WooStoreSettings,
  input: WooSettingsInput,
): WooStoreSettings {
  return {
    status_templates: { ...current.status_templates, ...input.status_templates },
    pending_reminder: { ...current.pending_reminder, ...input.pending_reminder },
    opt_in: { ...current.opt_in, ...input.opt_in },
    max_messages_per_order: input.max_messages_per_order ?? current.max_messages_per_order,
  };
}

/** The store's mappings, each with where it is in the settings (`status_templates.shipped`). */
export function settingsMappings(settings: WooStoreSettings): [string, WooTemplateMapping][] {
  const mappings: [string, WooTemplateMapping][] = [];
  for (const [status, mapping] of Object.entries(settings.status_templates)) {
    if (mapping) mappings.push([`status_templates.${status}`, mapping]);
  }
  mappings.push(['pending_reminder.template', settings.pending_reminder.template]);
  return mappings;
}

/** Placeholders naming nothing, each as `<where>: unknown placeholder {{x}}`. */
export function settingsProblems(settings: WooStoreSettings): string[] {
  return settingsMappings(settings).flatMap(([where, m]) =>
    mappingProblems(m, m.action_id ? ['action'] : []).map((p) => `${where}: ${p}`),
  );
}

/** The actions the store's mappings name, to check they exist. */
export function settingsActions(settings: WooStoreSettings): string[] {
  const ids = settingsMappings(settings).flatMap(([, m]) => (m.action_id ? [m.action_id] : []));
  return [...new Set(ids)];
}
