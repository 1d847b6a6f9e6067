import { createHmac } from 'node:crypto';
import { ValidationError } from '../../lib/errors';
import { validSignature } from '../../meta/signature';
import { parseMetaWebhook } from '../../meta/webhook-payload';

const change = (value: object) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: '100', changes: [{ field: 'messages', value }] }],
});
const statuses = change({
  messaging_product: 'whatsapp',
  metadata: { phone_number_id: '123456', display_phone_number: '15550001111' },
  statuses: [{ id: 'wamid.A', status: 'read', timestamp: '1', new_field: { kept: true } }],
});

/** The message parseMetaWebhook refuses `body` with. */
function refusal(body: unknown): string {
  try {
    parseMetaWebhook(typeof body === 'string' ? body : JSON.stringify(body));
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

describe('parseMetaWebhook', () => {
  it('returns the payload as Meta sent it, fields it does not know included', () => {
    expect(parseMetaWebhook(JSON.stringify(statuses))).toEqual(statuses);
  });

  it('names what is wrong, and where', () => {
    expect(refusal('{"object":')).toBe('Body is not valid JSON');
    expect(refusal([])).toBe('Invalid webhook payload: body: expected object, received array');
    expect(refusal({ entry: [] })).toBe(
      'Invalid webhook payload: object: expected string, received undefined',
    );
    expect(refusal({ object: 'x', entry: {} })).toBe(
      'Invalid webhook payload: entry: expected array, received object',
    );
    expect(refusal({ object: 'x', entry: [{ id: 1, changes: [] }] })).toBe(
      'Invalid webhook payload: entry.0.id: expected string, received number',
    );
    expect(refusal(change({ metadata: { phone_number_id: "1' OR 1=1" } }))).toBe(
      'Invalid webhook payload: entry.0.changes.0.value.metadata.phone_number_id: must be a string of digits',
    );
    expect(refusal(change({ metadata: { phone_number_id: 123 } }))).toMatch(
      /phone_number_id: must be a string of digits$/,
    );
    expect(refusal(change({ metadata: 'x' }))).toMatch(/value\.metadata: expected object/);
    expect(refusal(change({ statuses: {} }))).toMatch(/value\.statuses: expected array/);
    expect(refusal(change({ messages: [null] }))).toBe(
      'Invalid webhook payload: entry.0.changes.0.value.messages.0: expected object, received null',
    );
    expect(refusal({ object: 'x', entry: [{ id: '1', changes: [{ field: 'messages' }] }] })).toBe(
      'Invalid webhook payload: entry.0.changes.0.value: expected object, received undefined',
    );
  });
});

describe('validSignature', () => {
  const raw = Buffer.from(JSON.stringify(statuses));
  const signed = (secret: string, body = raw) =>
    `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

  it("accepts the app secret's HMAC of the exact bytes", () => {
    expect(validSignature('secret', raw, signed('secret'))).toBe(true);
  });

  it('refuses another secret, other bytes, and headers of another shape', () => {
    expect(validSignature('secret', raw, signed('other'))).toBe(false);
    expect(
      validSignature('secret', raw, signed('secret', Buffer.concat([raw, Buffer.from(' ')]))),
    ).toBe(false);
    const hex = signed('secret').slice('sha256='.length);
    expect(validSignature('secret', raw, hex)).toBe(false);
    expect(validSignature('secret', raw, `sha1=${hex}`)).toBe(false);
    expect(validSignature('secret', raw, `sha256=${hex.slice(2)}`)).toBe(false);
    expect(validSignature('secret', raw, `sha256=zz${hex.slice(2)}`)).toBe(false);
    expect(validSignature('secret', raw, '')).toBe(false);
  });
});
