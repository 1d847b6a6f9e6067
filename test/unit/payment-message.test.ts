import { paymentMessage } from '../../payments/messages';
import type { ContactDoc, PaymentLinkDoc } from '../../store/documents';

const link = {
  amount: 149_900,
  currency: 'INR',
  description: 'Order #1042',
  url: 'https://rzp.io/i/abc',
  payment_id: 'pay_1',
} as PaymentLinkDoc;
const now = new Date('2025-03-01T10:00:00Z');
const contact = (lastInboundAt: Date | null) =>
  ({ name: 'Asha', last_inbound_at: lastInboundAt }) as ContactDoc;

describe('payment messages', () => {
  it('go as text while the customer window is open', () => {
    const m = paymentMessage('link', link, contact(new Date(now.getTime() - 3_600_000)), now);
    expect(m.type).toBe('text');
    expect(m.content.body).toBe(
      'Hi Asha, here is your payment link for Order #1042 (₹1,499.00): https://rzp.io/i/abc',
    );
  });

  it('go as their template outside it, with the parameters in order', () => {
    const m = paymentMessage(
      'receipt',
      link,
      contact(new Date(now.getTime() - 25 * 3_600_000)),
      now,
    );
    expect(m).toEqual({
      type: 'template',
      content: {
        name: 'payment_receipt',
        language: { code: 'en' },
        components: [
          {
            type: 'body',
            parameters: ['Asha', '₹1,499.00', 'Order #1042', 'pay_1'].map((text) => ({
              type: 'text',
              text,
            })),
          },
        ],
      },
    });
    const reminder = paymentMessage(
      'reminder',
      { ...link, currency: 'USD', amount: 2_500 },
      null,
      now,
    );
    expect(reminder.content.name).toBe('payment_reminder');
    expect(JSON.stringify(reminder.content)).toContain('"there"');
    expect(JSON.stringify(reminder.content)).toContain('$25.00');
  });
});
