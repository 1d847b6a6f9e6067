import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { newWebhookSecret } from '../../store/webhook-endpoints';
import { webhookBody, webhookHeaders } from '../../webhooks/signing';

// The Standard Webhooks (Svix) published example; the hex value was computed with Python's
// `hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()`.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const MSG_ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TIMESTAMP = 1614265330;
const BODY = '{"test": 2432232314}';
const STANDARD_SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
const PLAIN_SIGNATURE = '80ec8a89ce3cd22133a1066caecb4d04fea7467657c8514d717ec42c38a5c94c';

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('webhookHeaders', () => {
  it('matches the published Standard Webhooks example and the Python HMAC', () => {
    const headers = webhookHeaders(
      SECRET,
      { id: MSG_ID, type: 'contact.created' },
      BODY,
      TIMESTAMP,
    );
    expect(headers).toEqual({
      'content-type': 'application/json',
      'user-agent': 'Waflow-Webhooks/1.0',
      'x-webhook-signature': PLAIN_SIGNATURE,
      'x-webhook-event': 'contact.created',
      'x-webhook-id': MSG_ID,
      'webhook-id': MSG_ID,
      'webhook-timestamp': String(TIMESTAMP),
      'webhook-signature': STANDARD_SIGNATURE,
    });
  });

  it('signs as the standardwebhooks library does, with or without the whsec_ prefix', () => {
    const secret = newWebhookSecret();
    const bare = secret.slice('whsec_'.length);
    const ts = nowSeconds();
    const body = webhookBody({ type: 'message.read', timestamp: new Date(), data: { a: 'é' } });
    const event = { id: 'message.read:wamid.1', type: 'message.read' };
    const expected = new Webhook(secret).sign(event.id, new Date(ts * 1000), body);
    expect(webhookHeaders(secret, event, body, ts)['webhook-signature']).toBe(expected);
    expect(webhookHeaders(bare, event, body, ts)['webhook-signature']).toBe(expected);
  });

  it('is verified by the standardwebhooks library, and a changed message is not', () => {
    const secret = newWebhookSecret();
    const body = webhookBody({
      type: 'contact.created',
      timestamp: new Date(),
      data: { id: 'c1' },
    });
    const event = { id: 'evt-1', type: 'contact.created' };
    const headers = webhookHeaders(secret, event, body, nowSeconds());
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));

    const refused = (fn: () => unknown) => expect(fn).toThrow(WebhookVerificationError);
    refused(() => new Webhook(secret).verify(body.replace('c1', 'c2'), headers));
    refused(() => new Webhook(newWebhookSecret()).verify(body, headers));
    refused(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'evt-2' }));
    // Older than the library's 5 minute tolerance: the timestamp is part of what is signed.
    const stale = webhookHeaders(secret, event, body, nowSeconds() - 600);
    refused(() => new Webhook(secret).verify(body, stale));
  });

  it('signs X-Webhook-Signature with the secret string itself, over the raw body', () => {
    const secret = newWebhookSecret();
    const body = '{"event":"x","timestamp":"2024-01-01T00:00:00.000Z","data":{"n":"ü"}}';
    const headers = webhookHeaders(secret, { id: 'e', type: 'x' }, body, TIMESTAMP);
    const expected = createHmac('sha256', secret).update(body).digest('hex');
    const received = Buffer.from(headers['x-webhook-signature'] ?? '', 'hex');
    expect(received).toHaveLength(32);
    expect(timingSafeEqual(received, Buffer.from(expected, 'hex'))).toBe(true);
    const other = webhookHeaders(secret, { id: 'e', type: 'x' }, `${body} `, TIMESTAMP);
    expect(other['x-webhook-signature']).not.toBe(headers['x-webhook-signature']);
    // The plain signature covers the body only, as receivers following the docs compute it.
    const later = webhookHeaders(secret, { id: 'f', type: 'y' }, body, TIMESTAMP + 60);
    expect(later['x-webhook-signature']).toBe(headers['x-webhook-signature']);
    expect(later['webhook-signature']).not.toBe(headers['webhook-signature']);
  });
});

describe('webhookBody', () => {
  it('is exactly {event, timestamp, data} in that order', () => {
    const timestamp = new Date('2024-05-06T07:08:09.010Z');
    const body = webhookBody({ type: 'contact.updated', timestamp, data: { id: 'c1', n: [1] } });
    expect(body).toBe(
      '{"event":"contact.updated","timestamp":"2024-05-06T07:08:09.010Z","data":{"id":"c1","n":[1]}}',
    );
  });
});

describe('newWebhookSecret', () => {
  it('is whsec_ and 32 random bytes in base64', () => {
    const secrets = new Set(Array.from({ length: 20 }, newWebhookSecret));
    expect(secrets.size).toBe(20);
    for (const secret of secrets) {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    }
  });
});
