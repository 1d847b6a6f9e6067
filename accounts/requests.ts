/** A WhatsApp Business number to connect, as Meta names its ids and secrets. */
export interface CreateAccountRequest {
  name: string;
  phone_number_id: string;
  waba_id: string;
  access_token: string;
  app_secret: string;
  /** Generated (and shown once) when absent. */
  webhook_verify_token?: string;
  display_phone_number?: string | null;
  is_default?: boolean;
  throughput?: number;
  /** The business accepted the Marketing Messages API's terms for this number. */
  marketing_messages?: boolean;
  /** The number is shared with the WhatsApp Business app: throughput at most 20. */
  coexistence?: boolean;
}

/** The fields to change; absent ones are left as they are. */
export type UpdateAccountRequest = Partial<CreateAccountRequest>;
