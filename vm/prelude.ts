import type { SandboxLimits } from './types';

/** The name user code carries in stack traces and syntax errors. */
export const ACTION_FILENAME = 'action.js';

/**
 * The parameters of an action's body, in the order the runner passes them. The body is wrapped
 * in an async function so that `return` and `await` work.
 */
export const ACTION_PARAMS = ['contact', 'message', 'agent', 'organization', 'input'] as const;

/** An action's source as compiled: line 1 of the body is line 1 of the script (lineOffset -1). */
export const wrapAction = (code: string) =>
  `(async function (${ACTION_PARAMS.join(', ')}) {\n${code}\n})`;

/**
 * Runs first in every fresh context, before the action: removes what could outlive a run or
 * block a thread (shared memory, finalizers, WebAssembly), installs a capped `console`, and
 * returns the runner the host calls with the action's function and its context as JSON. The
 * runner keeps its own copies of the builtins it uses, so an action that replaces them only
 * spoils its own answer, and answers one string: an envelope the host checks before trusting.
 */
export function preludeSource(limits: SandboxLimits): string {
  return `(function () {
  'use strict';
  const g = globalThis;
  for (const name of ['SharedArrayBuffer', 'Atomics', 'WebAssembly', 'FinalizationRegistry', 'WeakRef']) {
    delete g[name];
  }
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const toStr = String;
  const slice = Function.prototype.call.bind(String.prototype.slice);
  const push = Function.prototype.call.bind(Array.prototype.push);
  const join = Function.prototype.call.bind(Array.prototype.join);
  const copy = Function.prototype.call.bind(Array.prototype.slice);
  const exec = Function.prototype.call.bind(RegExp.prototype.exec);
  const MAX_LOGS = ${limits.maxLogEntries};
  const MAX_LOG_CHARS = ${limits.maxLogEntryChars};
  const MAX_OUTPUT = ${limits.maxOutputBytes};
  const AT = /${ACTION_FILENAME.replace('.', '\\.')}:(\\d+):(\\d+)/;
  const logs = [];
  let dropped = 0;

  function text(value) {
    try {
      if (typeof value === 'string') return value;
      const json = stringify(value);
      return json === undefined ? toStr(value) : json;
    } catch (e) {
      try { return toStr(value); } catch (e2) { return '[unprintable]'; }
    }
  }
  function log(level, args) {
    if (logs.length >= MAX_LOGS) { dropped++; return; }
    const parts = [];
    for (let i = 0; i < args.length; i++) push(parts, text(args[i]));
    let line = (level === 'log' ? '' : '[' + level + '] ') + join(parts, ' ');
    if (line.length > MAX_LOG_CHARS) line = slice(line, 0, MAX_LOG_CHARS) + '…';
    push(logs, line);
  }
  const console = {};
  for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
    console[level] = function () { log(level, arguments); };
  }
  Object.defineProperty(g, 'console', { value: Object.freeze(console), writable: true, configurable: true });

  function finalLogs() {
    const out = copy(logs);
    if (dropped) push(out, '… ' + dropped + ' more log entries dropped');
    return out;
  }
  function describe(error) {
    let message = 'Uncaught exception';
    let line = null;
    let column = null;
    try {
      if (error !== null && (typeof error === 'object' || typeof error === 'function')) {
        const name = toStr(error.name);
        const msg = toStr(error.message);
        message = name && name !== 'undefined' ? name + ': ' + msg : msg;
        const where = exec(AT, toStr(error.stack));
        if (where) { line = +where[1]; column = +where[2]; }
      } else {
        message = 'Uncaught ' + text(error);
      }
    } catch (e) {
      message = 'Uncaught exception (unreadable)';
    }
    if (message.length > 2000) message = slice(message, 0, 2000) + '…';
    return { m: message, line: line, column: column };
  }

  return async function run(fn, input) {
    const c = parse(input);
    let result;
    try {
      result = await fn(c.contact, c.message, c.agent, c.organization, c.input);
    } catch (error) {
      const d = describe(error);
      return stringify({ k: 'runtime', m: d.m, line: d.line, column: d.column, l: finalLogs() });
    }
    let json;
    try {
      json = result === undefined ? 'null' : stringify(result);
    } catch (error) {
      return stringify({ k: 'output', m: 'The result is not JSON: ' + describe(error).m, l: finalLogs() });
    }
    if (json === undefined) json = 'null';
    if (json.length > MAX_OUTPUT) {
      return stringify({ k: 'output', m: 'The result is larger than ' + MAX_OUTPUT + ' bytes of JSON', l: finalLogs() });
    }
    return '{"k":"ok","l":' + stringify(finalLogs()) + ',"r":' + json + '}';
  };
})()`;
}
