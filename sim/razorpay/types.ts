/** A Razorpay Payment Link as its API returns it. */
export interface RazorpayLink {
  id: string;
  accept_partial: boolean;
  amount: number;
  amount_paid: number;
  callback_method: string;
  callback_url: string;
  cancelled_at: number;
  created_at: number;
  currency: string;
  customer: { contact?: string; email?: string; name?: string };
  description: string;
  expire_by: number;
  expired_at: number;
  first_min_partial_amount: number;
  notes: Record<string, string> | [];
  notify: { email: boolean; sms: boolean };
  order_id: string;
  payments: { payment_id: string; amount: number; status: string; method: string }[] | null;
  reference_id: string;
  reminder_enable: boolean;
  reminders: unknown[];
  short_url: string;
  status: 'created' | 'partially_paid' | 'paid' | 'expired' | 'cancelled';
  updated_at: number;
  upi_link: boolean;
  user_id: string;
}

export interface RazorpayAccount {
  key_id: string;
  key_secret: string;
  /** What its webhooks are signed with (X-Razorpay-Signature). */
  webhook_secret: string;
  /** Where its webhooks go; the simulator's default when null. */
  webhook_url: string | null;
}

export interface RazorpayWebhookLogEntry {
  event_id: string;
  event: string;
  url: string;
  status: number | null;
  error: string | null;
}
