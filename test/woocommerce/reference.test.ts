import { parameterCounts, DEFAULT_TEMPLATES } from '../../sim/meta/templates';
import { defaultWooSettings } from '../../woocommerce/settings';
import { referenceWooMapping, referenceWooTemplates } from '../support/woo-reference';

/**
 * The reference's WooCommerce setup page, replayed: the templates it tells a store to create
 * (step 3) and the events it maps to them (step 4), against a new store's defaults and the
 * sandbox's templates. Its webhook URL (step 2) is replayed in api.test.ts.
 */
const templates = referenceWooTemplates();

/** The reference's events, as the statuses a store's mapping is keyed by. */
const STATUS_OF_EVENT: Record<string, string> = {
  // The confirmation: sent when the order is created paid or becomes processing (woo-order.ts).
  'Order Created': 'processing',
  'Order Shipped': 'shipped',
  'Order Delivered': 'completed',
};

it("reads the reference's three templates and their parameters", () => {
  expect(templates).toEqual([
    {
      name: 'order_confirmation',
      text: 'Hi {{1}}, your order #{{2}} is confirmed!',
      parameters: 2,
    },
    {
      name: 'order_shipped',
      text: 'Your order #{{1}} has been shipped. Track: {{2}}',
      parameters: 2,
    },
    { name: 'order_delivered', text: 'Your order #{{1}} has been delivered!', parameters: 1 },
  ]);
});

it.each(referenceWooMapping())(
  'a new store sends $event the $template template with its parameters',
  ({ event, template }) => {
    const reference = templates.find((t) => t.name === template)!;
    const mapping = defaultWooSettings().status_templates[STATUS_OF_EVENT[event]!]!;
    expect(mapping.name).toBe(template);
    expect(mapping.components).toEqual([
      { type: 'body', parameters: expect.any(Array) as unknown },
    ]);
    expect(mapping.components[0]!.parameters).toHaveLength(reference.parameters);
  },
);

it.each(templates)("the sandbox's $name is the reference's, word for word", (reference) => {
  const sandbox = DEFAULT_TEMPLATES.find((t) => t.name === reference.name && t.language === 'en');
  expect(sandbox?.components).toEqual([
    expect.objectContaining({ type: 'BODY', text: reference.text }),
  ]);
  expect(parameterCounts(sandbox!.components)).toMatchObject({
    header: 0,
    body: reference.parameters,
  });
});
