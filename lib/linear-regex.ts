import { setFlagsFromString } from 'node:v8';

/**
 * Customers' text matched by patterns their business wrote, on V8's linear-time engine (the
 * `l` flag): it never backtracks, so no pattern can stall the process (no ReDoS). The engine
 * refuses what it cannot run in linear time: backreferences, lookaheads, groups inside
 * lookbehinds, counted repetitions that unroll to more than 16 copies, and the `i` flag. Ignoring case is done here instead:
 * the text is lower-cased, and the pattern must be written in lower case.
 */

export const MAX_PATTERN_LENGTH = 500;

const NOT_LINEAR =
  'cannot run in linear time: backreferences, lookaheads, groups inside lookbehinds and ' +
  'counted repetitions over 16 (like {17} or {1,20}) are not allowed';

let enabled = false;

function enableLinearEngine(): void {
  if (enabled) return;
  setFlagsFromString('--enable-experimental-regexp-engine');
  enabled = true;
}

/** The first upper-case letter outside an escape (`\D`, `\u00C9` are escapes), if any. */
function upperCaseLetter(pattern: string): string | null {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1];
      i += 1 + (next === 'u' ? (pattern[i + 2] === '{' ? 0 : 4) : next === 'x' ? 2 : 0);
      if (next === 'c') i += 1;
      continue;
    }
    if (c !== c.toLowerCase()) return c;
  }
  return null;
}

/**
 * The pattern compiled for the linear-time engine, or an Error saying why it is refused.
 * With `ignoreCase`, match with `testLinear(re, text, true)`, which lower-cases the text.
 */
export function compileLinear(pattern: string, ignoreCase: boolean): RegExp {
  if (pattern.length === 0) throw new Error('the pattern is empty');
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new Error(`the pattern is longer than ${MAX_PATTERN_LENGTH} characters`);
  }
  if (ignoreCase) {
    const upper = upperCaseLetter(pattern);
    if (upper) {
      throw new Error(
        `'${upper}': with ignore_case the text is lower-cased before matching, so write the ` +
          'pattern in lower case',
      );
    }
  }
  enableLinearEngine();
  try {
    // eslint-disable-next-line no-invalid-regexp -- `l` exists once the engine is enabled
    return new RegExp(pattern, 'l');
  } catch (err) {
    const message = (err as Error).message;
    if (message.includes('linear time')) throw new Error(NOT_LINEAR);
    throw new Error(`not a valid regular expression: ${message.replace(/^.*\/l: /, '')}`);
  }
}

/** Whether the text matches a pattern compiled by compileLinear with the same `ignoreCase`. */
export function testLinear(re: RegExp, text: string, ignoreCase: boolean): boolean {
  return re.test(ignoreCase ? text.toLowerCase() : text);
}
