import type { Store } from '../store/contract';
import type { MessageDoc } from '../store/documents';
import type { Signals } from '../store/signals';

/** Signals can be missed (a reconnect, a store without them): look again this often. */
const POLL_MS = 200;

const settled = (m: MessageDoc | null) => !!m && (!!m.wamid || m.status === 'failed');

/**
 * Lets a request wait for its message's outcome: dispatchers signal the ids they settle, and
 * each waiter reads its message when signalled (or on a slow poll).
 */
export class OutcomeWaiter {
  private readonly waiting = new Map<string, Set<() => void>>();
  private unsubscribe: (() => Promise<void>) | null = null;

  constructor(
    private readonly store: Store,
    private readonly signals: Signals,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.signals.subscribe('send_settled', (payload) => {
      for (const id of payload.split(',')) this.waiting.get(id)?.forEach((wake) => wake());
    });
  }

  async close(): Promise<void> {
    await this.unsubscribe?.();
  }

  /** The message once sent or failed, or as it stands after `ms`. */
  async wait(orgId: string, id: string, ms: number): Promise<MessageDoc | null> {
    const deadline = Date.now() + ms;
    const wakers = this.waiting.get(id) ?? new Set();
    this.waiting.set(id, wakers);
    let wake = () => {};
    let signalled = false;
    const waker = () => {
      signalled = true;
      wake();
    };
    wakers.add(waker);
    try {
      for (;;) {
        const left = deadline - Date.now();
        if (left > 0 && !signalled) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.min(POLL_MS, left));
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        signalled = false;
        const message = await this.store.messages.get(orgId, id);
        if (settled(message) || Date.now() >= deadline) return message;
      }
    } finally {
      wakers.delete(waker);
      if (!wakers.size) this.waiting.delete(id);
    }
  }
}
