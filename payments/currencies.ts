import type { PaymentGateway } from '../store/documents';
import { GATEWAY_NAMES } from './gateways/types';

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

/** The largest amount a link asks for, in minor units. */
export const MAX_AMOUNT = 99_999_999;

/**
 * Why a payment of `amount` (minor units) in `currency` through `gateway` (the currency's
 * default when absent) cannot be asked for, naming the field; null when it can.
 */
export function paymentTermsProblem(
  amount: number,
  currency: string,
  gateway?: PaymentGateway | null,
): string | null {
  if (!Number.isInteger(amount) || amount <= 0 || amount > MAX_AMOUNT) {
    return `amount: an integer number of minor units from 1 to ${MAX_AMOUNT}`;
  }
  if (!SUPPORTED_CURRENCIES.includes(currency)) {
    return `currency: '${currency}' is not supported; use one of ${SUPPORTED_CURRENCIES.join(', ')}`;
  }
  const chosen = gateway ?? defaultGateway(currency);
  return gatewaySupports(chosen, currency)
    ? null
    : `currency: ${GATEWAY_NAMES[chosen]} does not take ${currency}`;
}

/** `₹1,499.00`, `$10.00`, `¥500` from an amount in minor units. */
export function formatAmount(amount: number, currency: string): string {
  const exponent = CURRENCY_EXPONENTS[currency] ?? 2;
  return new Intl.NumberFormat(currency === 'INR' ? 'en-IN' : 'en-US', {
    style: 'currency',
    currency,
    minimumFractionDigits: exponent,
  }).format(amount / 10 ** exponent);
}
