/** A cluster-wide monotonic counter, for `/metrics`. */
export interface CounterSample {
  name: string;
  /** Label values, e.g. `{ account_id, code }`. */
  labels: Record<string, string>;
  value: number;
}

export interface CounterRepository {
  /** Adds each sample's value to its counter (one write for all). */
  add(samples: CounterSample[]): Promise<void>;
  list(): Promise<CounterSample[]>;
}
