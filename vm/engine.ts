import type { RunError, RunOutcome } from './types';

/** Where isolates run: in this process, or in sandbox processes of their own. */
export interface Engine {
  check(code: string): Promise<RunError | null>;
  /** The code for one context (JSON text); `key` is whose run it is (an organization). */
  run(code: string, context: string, key: string): Promise<RunOutcome>;
  close(): Promise<void>;
}
