import dns from 'node:dns';
import type { LookupAddress } from 'node:dns';
import { EventEmitter } from 'node:events';
import type { LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { types } from 'node:util';
import { Agent, type Dispatcher } from 'undici';
import { parseWebhookUrl, resolvedRefusal } from './destination';
import type { DestinationPolicy, LookupAll } from './destination';

export interface WebhookResponse {
  status: number;
  retryAfter: string | null;
  /** Location of a 3xx, which is returned, never followed. */
  location: string | null;
  latencyMs: number;
}

export interface WebhookHttp {
  post(url: string, body: string, headers: Record<string, string>): Promise<WebhookResponse>;
  close(): Promise<void>;
}

export interface WebhookHttpOptions {
  /** Bound on the whole request: connect, headers and body. */
  timeoutMs?: number;
  /** Default 64. */
  connectionsPerOrigin?: number;
  /** Replaces `dns.lookup`, for tests. */
  lookup?: LookupAll;
}

// Receivers answer with a short acknowledgement; anything longer is cut off, not buffered.
const MAX_DRAINED_BODY = 64 * 1024;

/**
 * Resolves for the socket being opened and hands it only checked addresses, so the address
 * that passed the policy is the one connected to: a DNS answer that changes between an earlier
 * check and the connect (rebinding) never reaches a refused address. Pooled connections stay
 * bound to the address they were opened to.
 */
function pinnedLookup(policy: DestinationPolicy, lookup: LookupAll): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const refused = resolvedRefusal(hostname, addresses, policy);
      if (refused) return callback(refused, '');
      if (options.all) return callback(null, addresses);
      const [first] = addresses as [LookupAddress];
      callback(null, first.address, first.family);
    });
  };
}

/**
 * A request's time limit. It is the request's abort signal as an EventEmitter, which undici
 * accepts in place of an AbortSignal: AbortController and its EventTarget listeners cost more
 * than the rest of this client's per-request work together.
 */
class Deadline extends EventEmitter {
  aborted = false;
  reason: Error | undefined = undefined;
  /**
   * Rejects the pending request at once: while connecting, undici acts on an abort only when
   * the attempt ends, and its coarse connect timer can overrun the deadline by a second.
   */
  onExpire: ((reason: Error) => void) | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(ms: number, reason: () => Error) {
    super();
    this.timer = setTimeout(() => this.expire(reason()), ms);
  }

  clear(): void {
    clearTimeout(this.timer);
  }

  private expire(reason: Error): void {
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
    this.onExpire?.(reason);
  }
}

/** Like `agent.request`, but rejected as soon as the deadline passes. */
function send(
  agent: Agent,
  options: Dispatcher.RequestOptions & { signal: Deadline },
): Promise<Dispatcher.ResponseData> {
  return new Promise((resolve, reject) => {
    options.signal.onExpire = reject;
    agent.request(options, (err, data) => (err ? reject(err) : resolve(data)));
  });
}

function timeoutError(url: URL, timeoutMs: number): Error {
  return Object.assign(new Error(`webhook POST to ${url.host} timed out after ${timeoutMs} ms`), {
    code: 'ETIMEDOUT',
  });
}

/**
 * Makes failures say what happened: undici's connect timeout is the deadline passing, and Node
 * reports a failed connect to a host with several addresses as an AggregateError without a
 * message.
 */
function deliveryError(err: unknown, url: URL, timeoutMs: number): Error {
  // Errors from Node's own modules may come from another realm (jest), so no `instanceof`.
  if (!types.isNativeError(err)) return new Error(String(err));
  const { code } = err as NodeJS.ErrnoException;
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return timeoutError(url, timeoutMs);
  const { errors } = err as Partial<AggregateError>;
  if (err.message === '' && Array.isArray(errors)) {
    const reasons = errors.map((e: unknown) => (types.isNativeError(e) ? e.message : String(e)));
    return Object.assign(new Error(`connect to ${url.host} failed: ${reasons.join('; ')}`), {
      code,
      cause: err,
    });
  }
  return err;
}

function headerValue(value: string | string[] | undefined): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

function withContentType(headers: Record<string, string>): Record<string, string> {
  for (const name in headers) if (name.toLowerCase() === 'content-type') return headers;
  return { ...headers, 'content-type': 'application/json' };
}

/**
 * The HTTP client for outbound webhooks. Redirects are never followed: a 3xx is returned with
 * its Location, because following it would send the payload (and its signature) to a URL the
 * endpoint's owner never registered and that was never checked, the classic way around SSRF
 * filters.
 */
export function createWebhookHttp(
  policy: DestinationPolicy,
  opts: WebhookHttpOptions = {},
): WebhookHttp {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const agent = new Agent({
    connections: opts.connectionsPerOrigin ?? 64,
    pipelining: 1,
    // The per-request deadline in `post` bounds headers and body together.
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: { timeout: timeoutMs, lookup: pinnedLookup(policy, opts.lookup ?? dns.lookup) },
  });

  async function post(
    rawUrl: string,
    body: string,
    headers: Record<string, string>,
  ): Promise<WebhookResponse> {
    // Literal IP hosts never reach the lookup, so they are checked here.
    const url = parseWebhookUrl(rawUrl, policy);
    const deadline = new Deadline(timeoutMs, () => timeoutError(url, timeoutMs));
    const started = performance.now();
    try {
      const res = await send(agent, {
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'POST',
        headers: withContentType(headers),
        body,
        signal: deadline,
      });
      // undici destroys the body when the deadline passes; dump then resolves all the same.
      await res.body.dump({ limit: MAX_DRAINED_BODY });
      if (deadline.reason) throw deadline.reason;
      return {
        status: res.statusCode,
        retryAfter: headerValue(res.headers['retry-after']),
        location: headerValue(res.headers.location),
        latencyMs: performance.now() - started,
      };
    } catch (err) {
      throw deliveryError(err, url, timeoutMs);
    } finally {
      deadline.clear();
    }
  }

  return { post, close: () => agent.close() };
}
