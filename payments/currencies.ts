import type { PaymentGateway } from '../store/documents';

/** Decimal places of each currency Waflow takes payments in: amounts are in its minor unit. */
export const CURRENCY_EXPONENTS: Record<string, number> = {
  INR: 2,
  USD: 2,
  EUR: 2,
  GBP: 2,
  AED: 2,
  SGD: 2,
  AUD: 2,
  CAD: 2,
  JPY: 0,
};

/** Razorpay's payment links take fewer currencies than Stripe's. */
const RAZORPAY_CURRENCIES = new Set(['INR', 'USD', 'EUR', 'GBP', 'AED', 'SGD']);

export const SUPPORTED_CURRENCIES = Object.keys(CURRENCY_EXPONENTS);

export function gatewaySupports(gateway: PaymentGateway, currency: string): boolean {
  if (!(currency in CURRENCY_EXPONENTS)) return false;
  return gateway === 'stripe' || RAZORPAY_CURRENCIES.has(currency);
}

/** INR goes to Razorpay, everything else to Stripe. */
export const defaultGateway = (currency: string): PaymentGateway =>
  currency === 'INR' ? 'razorpay' : 'stripe';

/** `₹1,499.00`, `$10.00`, `¥500` from an amount in minor units. */
export function formatAmount(amount: number, currency: string): string {
  const exponent = CURRENCY_EXPONENTS[currency] ?? 2;
  return new Intl.NumberFormat(currency === 'INR' ? 'en-IN' : 'en-US', {
    style: 'currency',
    currency,
    minimumFractionDigits: exponent,
  }).format(amount / 10 ** exponent);
}
