import type { TemplateInput } from './types';

/** The templates payment links use outside the 24 h window (payment_reminder is a default too). */
export const PAYMENT_TEMPLATES: TemplateInput[] = [
  {
    name: 'payment_link',
    language: 'en',
    category: 'UTILITY',
    components: [
      {
        type: 'BODY',
        text: 'Hi {{1}}, here is your payment link of {{2}} for {{3}}: {{4}}',
        example: { body_text: [['Asha', '₹1,499.00', 'Order #1042', 'https://rzp.io/i/nxrHnLJ']] },
      },
    ],
  },
  {
    name: 'payment_receipt',
    language: 'en',
    category: 'UTILITY',
    components: [
      {
        type: 'BODY',
        text: 'Hi {{1}}, we received your payment of {{2}} for {{3}}. Payment ID: {{4}}',
        example: { body_text: [['Asha', '₹1,499.00', 'Order #1042', 'pay_29QQoUBi66xm2f']] },
      },
    ],
  },
];
