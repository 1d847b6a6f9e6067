/**
 * Wake-ups between processes: the API tells dispatchers a number has messages to send, a
 * dispatcher tells APIs which messages it settled, an API tells every process an organization's
 * automations changed. A lost signal only delays: every listener also polls (or its cache expires).
 */
export interface Signals {
  publish(channel: SignalChannel, payload: string): Promise<void>;
  /** Resolves once listening; the returned function stops. */
  subscribe(
    channel: SignalChannel,
    listener: (payload: string) => void,
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * `automations_changed`: an organization's automations changed (payload: its id).
 * `media_queued`: inbound files wait for their download (no payload).
 */
export type SignalChannel = 'send_queued' | 'send_settled' | 'automations_changed' | 'media_queued';

/** Signals within one process: for a store that has no notifications of its own. */
export function inProcessSignals(): Signals {
  const listeners = new Map<string, Set<(payload: string) => void>>();
  return {
    publish(channel, payload) {
      for (const l of listeners.get(channel) ?? []) l(payload);
      return Promise.resolve();
    },
    subscribe(channel, listener) {
      const set = listeners.get(channel) ?? new Set();
      listeners.set(channel, set);
      set.add(listener);
      return Promise.resolve(() => {
        set.delete(listener);
        return Promise.resolve();
      });
    },
    close: () => Promise.resolve(),
  };
}
