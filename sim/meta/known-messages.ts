/** What the simulator remembers of a message: its chat, and which way it went. */
export interface KnownMessage {
  phoneNumberId: string;
  /** The customer's wa_id (or BSUID for a username-only user). */
  waId: string;
  direction: 'inbound' | 'outbound';
}

/** The newest messages are kept: enough for any test, bounded for long benchmarks. */
const LIMIT = 200_000;

/**
 * Messages of every chat by wamid, so sends and read receipts that name one (a reply's
 * context, a reaction, a receipt) can be checked the way Meta checks them.
 */
export class KnownMessages {
  private readonly byWamid = new Map<string, KnownMessage>();

  record(wamid: string, message: KnownMessage) {
    this.byWamid.set(wamid, message);
    if (this.byWamid.size > LIMIT) {
      // Maps iterate in insertion order: the first key is the oldest.
      this.byWamid.delete(this.byWamid.keys().next().value!);
    }
  }

  get(wamid: string): KnownMessage | undefined {
    return this.byWamid.get(wamid);
  }

  clear() {
    this.byWamid.clear();
  }
}
