/** What a custom action sees: deep copies of plain JSON, nothing of the host. */
export interface ActionContext {
  contact: unknown;
  message: unknown;
  agent: unknown;
  organization: unknown;
  /** Extra input given by the caller. */
  input: unknown;
}

/** How a run ended when it did not return a result. */
export type RunErrorType =
  /** The code does not compile. */
  | 'syntax'
  /** It threw (or rejected). */
  | 'runtime'
  /** It ran (or waited) past the time limit. */
  | 'timeout'
  /** It went over the memory limit: its isolate was thrown away. */
  | 'memory'
  /** Its result cannot be returned: not JSON, or too large. */
  | 'output'
  /** Too many runs of its organization are already running or waiting. */
  | 'busy'
  /** The sandbox process died during the run (or was stopped at its deadline). */
  | 'crashed'
  /** Not run: an earlier run of its batch hit a limit (the message says which). */
  | 'skipped';

export interface RunError {
  type: RunErrorType;
  message: string;
  /** Where in the action's code, 1-based, when known. */
  line: number | null;
  column: number | null;
}

export type RunOutcome =
  | { ok: true; result: unknown; logs: string[]; durationMs: number }
  | { ok: false; error: RunError; logs: string[]; durationMs: number };

export interface RunRequest {
  code: string;
  context: ActionContext;
  /** Whose run (an organization id): one key cannot take every isolate. */
  key: string;
}

export interface SandboxLimits {
  /** Wall-clock limit of a run, asynchronous work included. */
  timeoutMs: number;
  memoryMb: number;
  /** Largest result, as JSON text. */
  maxOutputBytes: number;
  maxLogEntries: number;
  maxLogEntryChars: number;
  /** Largest action source. */
  maxCodeChars: number;
  /** Isolates running at once. */
  poolSize: number;
  /** Runs of one key that may wait for an isolate; more are refused as `busy`. */
  maxQueuedPerKey: number;
}

export const DEFAULT_LIMITS: SandboxLimits = {
  timeoutMs: 5_000,
  memoryMb: 10,
  maxOutputBytes: 64 * 1024,
  maxLogEntries: 100,
  maxLogEntryChars: 1_000,
  maxCodeChars: 64 * 1024,
  poolSize: 2,
  maxQueuedPerKey: 200,
};

/** The sandbox processes: how many, how much memory each may hold, as whom they run. */
export interface ProcessLimits {
  /** Sandbox processes kept at once (a process per organization; idle ones are reused). */
  maxProcesses: number;
  /** The operating system's cap on one sandbox process's memory (a cgroup, else RLIMIT_AS). */
  memoryCapMb: number;
  /** A sandbox process whose resident memory is above this after a run is replaced. */
  recycleRssMb: number;
  /** The user sandbox processes run as, where this process may switch users; null: this one. */
  user: string | null;
}

export const DEFAULT_PROCESS_LIMITS: ProcessLimits = {
  maxProcesses: 8,
  memoryCapMb: 512,
  recycleRssMb: 192,
  user: 'nobody',
};

/** The sandbox's small interface: what the API, activities and campaigns call. */
export interface Sandbox {
  /** Null when the code compiles as an action's body; otherwise where it does not. */
  check(code: string): Promise<RunError | null>;
  run(request: RunRequest): Promise<RunOutcome>;
  /** One code for many contexts (a campaign batch): compiled once per isolate. */
  runMany(code: string, contexts: ActionContext[], key: string): Promise<RunOutcome[]>;
  close(): Promise<void>;
}
