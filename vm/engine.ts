import type { RunError, RunOutcome } from './types';

/** Where isolates run: in this process, or in a sandbox process of its own. */
export interface Engine {
  check(code: string): Promise<RunError | null>;
  /** One code for each context (JSON text), in order, on one isolate. */
  run(code: string, contexts: string[]): Promise<RunOutcome[]>;
  close(): Promise<void>;
}
