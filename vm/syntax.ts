import type ivm from 'isolated-vm';
import { ACTION_FILENAME, ACTION_PARAMS, wrapAction } from './prelude';
import type { RunError } from './types';

const POSITION = new RegExp(`\\[${ACTION_FILENAME.replace('.', '\\.')}:(\\d+):(\\d+)\\]$`);
const CHECK_TIMEOUT_MS = 1_000;

export const syntaxError = (
  message: string,
  line: number | null = null,
  column: number | null = null,
): RunError => ({ type: 'syntax', message, line, column });

/** A SyntaxError from compiling the wrapped action: its message and position in the body. */
export function fromCompileError(err: unknown): RunError {
  const text = err instanceof Error ? err.message : String(err);
  const at = POSITION.exec(text);
  const message = `SyntaxError: ${text.replace(POSITION, '').trim()}`;
  return at ? syntaxError(message, Number(at[1]), Number(at[2])) : syntaxError(message);
}

/** An error found on the wrapper's closing line is at the end of the code. */
function withinCode(error: RunError, code: string): RunError {
  const lines = code.split('\n');
  if (error.line === null || error.line <= lines.length) return error;
  return { ...error, line: lines.length, column: lines[lines.length - 1]!.length + 1 };
}

/**
 * Null when `code` is a valid body of an async function. Two checks in the isolate, never in
 * the host: the wrapped source gives a SyntaxError its line and column, and the Function
 * constructor refuses a body that closes its function early to run at the top level.
 */
export async function checkSyntax(isolate: ivm.Isolate, code: string): Promise<RunError | null> {
  try {
    const script = await isolate.compileScript(wrapAction(code), {
      filename: ACTION_FILENAME,
      lineOffset: -1,
    });
    script.release();
  } catch (err) {
    return withinCode(fromCompileError(err), code);
  }
  const context = await isolate.createContext();
  try {
    await context.evalClosure(
      `const AsyncFunction = (async function () {}).constructor;
       new AsyncFunction(${ACTION_PARAMS.map((p) => `'${p}'`).join(', ')}, $0);`,
      [code],
      { arguments: { copy: true }, timeout: CHECK_TIMEOUT_MS },
    );
    return null;
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    return syntaxError(`SyntaxError: ${text} (the code must be the body of a function)`);
  } finally {
    context.release();
  }
}
