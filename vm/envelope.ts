import type { RunError, RunErrorType, SandboxLimits } from './types';

export type Answer =
  { ok: true; result: unknown; logs: string[] } | { ok: false; error: RunError; logs: string[] };

const REPORTED = new Set<RunErrorType>(['runtime', 'output']);

/** JSON.parse without `__proto__` keys: a result must not carry a prototype into the host. */
const parseSafe = (text: string): unknown =>
  JSON.parse(text, (key, value: unknown) => (key === '__proto__' ? undefined : value));

const outputError = (message: string): Answer => ({
  ok: false,
  error: { type: 'output', message, line: null, column: null },
  logs: [],
});

function logsOf(value: unknown, limits: SandboxLimits): string[] {
  if (!Array.isArray(value)) return [];
  return value
    .slice(0, limits.maxLogEntries + 1)
    .filter((l): l is string => typeof l === 'string')
    .map((l) =>
      l.length > limits.maxLogEntryChars + 1 ? `${l.slice(0, limits.maxLogEntryChars)}…` : l,
    );
}

const numberOrNull = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : null);

/**
 * What the runner answered, checked: the runner shares its context with the action, so an
 * action can spoil the answer (replacing builtins the JSON encoding calls). Anything but the
 * envelope the runner writes, in its size, is an `output` error.
 */
export function readAnswer(raw: unknown, limits: SandboxLimits): Answer {
  if (typeof raw !== 'string') return outputError('The action did not return a result');
  const ceiling =
    limits.maxOutputBytes + limits.maxLogEntries * (limits.maxLogEntryChars + 16) * 6 + 4_096;
  if (raw.length > ceiling) return outputError('The result is too large');
  let env: Record<string, unknown>;
  try {
    const parsed = parseSafe(raw);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('shape');
    env = parsed as Record<string, unknown>;
  } catch {
    return outputError('The result could not be read');
  }
  const logs = logsOf(env.l, limits);
  if (env.k === 'ok') {
    if (Buffer.byteLength(JSON.stringify(env.r ?? null)) > limits.maxOutputBytes) {
      return {
        ...outputError(`The result is larger than ${limits.maxOutputBytes} bytes of JSON`),
        logs,
      };
    }
    return { ok: true, result: env.r ?? null, logs };
  }
  if (typeof env.k === 'string' && REPORTED.has(env.k as RunErrorType)) {
    return {
      ok: false,
      error: {
        type: env.k as RunErrorType,
        message: typeof env.m === 'string' ? env.m.slice(0, 2_000) : 'The action failed',
        line: numberOrNull(env.line),
        column: numberOrNull(env.column),
      },
      logs,
    };
  }
  return outputError('The result could not be read');
}
