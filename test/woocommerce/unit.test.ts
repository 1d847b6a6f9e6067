import { createHmac } from 'node:crypto';
import { billingPhone } from '../../woocommerce/phone';
import { mappingProblems, orderValues, renderMapping } from '../../woocommerce/parameters';
import { isWooPing, validWooSignature, wooSignature } from '../../woocommerce/signature';
import { wooOrder } from '../support/woocommerce';

describe('billing phones', () => {
  it.each([
    ['07400 900123', 'GB', '+447400900123'],
    ['98765 43210', 'IN', '+919876543210'],
    ['919876543210', 'IN', '+919876543210'],
    ['6591234567', 'SG', '+6591234567'],
    ['(415) 555-0199', 'US', '+14155550199'],
    ['030 1234567', 'DE', '+49301234567'],
    ['06 1234 5678', 'IT', '+390612345678'],
    ['+44 7400 900123', 'IN', '+447400900123'],
    ['0044 7400 900123', null, '+447400900123'],
    ['0044 7400 900123', 'US', '+447400900123'],
  ])('%s in %s is %s', (phone, country, expected) => {
    expect(billingPhone(phone, country)).toBe(expected);
  });

  it("reads a national number with the fallback country when the order's is missing", () => {
    expect(billingPhone('98765 43210', null, 'IN')).toBe('+919876543210');
    expect(billingPhone('98765 43210', 'XX', 'IN')).toBe('+919876543210');
    expect(billingPhone('07400 900123', 'GB', 'IN')).toBe('+447400900123');
  });

  it('gives null for no usable number', () => {
    expect(billingPhone('', 'GB')).toBeNull();
    expect(billingPhone('n/a', 'GB')).toBeNull();
    expect(billingPhone('123', 'GB')).toBeNull();
    expect(billingPhone('98765 43210', null)).toBeNull();
    // Not a number any GB line can have (Ofcom's range for drama).
    expect(billingPhone('07700 900123', 'GB')).toBeNull();
  });
});

describe('signatures', () => {
  it("match WooCommerce's base64 HMAC-SHA256 of the raw body, and nothing else", () => {
    const body = Buffer.from('{"id":1042,"status":"processing"}');
    const php = createHmac('sha256', 'secret').update(body).digest('base64');
    expect(wooSignature('secret', body)).toBe(php);
    expect(validWooSignature('secret', body, php)).toBe(true);
    expect(validWooSignature('secret', Buffer.from('{"id":1042}'), php)).toBe(false);
    expect(validWooSignature('other', body, php)).toBe(false);
    expect(validWooSignature('secret', body, '')).toBe(false);
  });

  it('recognises only the form-encoded ping', () => {
    const form = 'application/x-www-form-urlencoded';
    expect(isWooPing(Buffer.from('webhook_id=12'), form)).toBe(true);
    expect(isWooPing(Buffer.from('webhook_id=12'), 'application/json')).toBe(false);
    expect(isWooPing(Buffer.from('webhook_id=12&x=1'), form)).toBe(false);
  });
});

describe('template parameters', () => {
  const order = wooOrder({
    id: 1042,
    line_items: [
      { id: 1, name: 'Running shoes', quantity: 2 },
      { id: 2, name: 'Socks', quantity: 1 },
    ],
    meta_data: [{ id: 1, key: 'gift_note', value: 'Happy birthday' }],
  });
  const store = { name: 'Shop', site_url: 'https://shop.example' };

  it('fills order values, meta and billing fields, alternatives and defaults', () => {
    const values = orderValues(order, store);
    expect(values).toMatchObject({
      first_name: 'Asha',
      order_number: '1042',
      total_with_currency: '£54.99',
      items: '2 × Running shoes, 1 × Socks',
      item_count: '3',
      tracking_url: null,
    });
    const mapping = {
      name: 't',
      language: 'en',
      components: [
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Hi {{first_name}}, #{{order_number}}' },
            { type: 'text', text: '{{tracking_url | tracking_number | soon}}' },
            { type: 'text', text: '{{meta.gift_note}} / {{billing.city}}' },
          ],
        },
      ],
    };
    expect(mappingProblems(mapping)).toEqual([]);
    const [body] = renderMapping(mapping, order, values);
    expect((body!.parameters as { text: string }[]).map((p) => p.text)).toEqual([
      'Hi Asha, #1042',
      'soon',
      'Happy birthday / London',
    ]);
  });

  it('names unknown placeholders', () => {
    const mapping = {
      name: 't',
      language: 'en',
      components: [{ type: 'body', parameters: [{ type: 'text', text: '{{size}} {{ | x}}' }] }],
    };
    expect(mappingProblems(mapping)).toEqual([
      'unknown placeholder {{size}}',
      'unknown placeholder {{}}',
    ]);
  });
});
