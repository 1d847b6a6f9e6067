import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { authFailed, badRequest, RazorpayApiError } from './errors';
import { LinkBook } from './links';
import { postRazorpayEvent, razorpayEvent, type RazorpayEventType } from './webhooks';
import type { RazorpayAccount, RazorpayLink, RazorpayWebhookLogEntry } from './types';

export interface RazorpaySimulatorOptions {
  host?: string;
  port: number;
  /** Where webhooks go for accounts registered without a URL of their own. */
  webhookUrl: string | null;
  accounts?: RazorpayAccount[];
  /** How often links past their expire_by are expired (with their webhook); 0: never. */
  expirySweepMs?: number;
  now?: () => number;
  logger?: boolean | { level: string };
}

export interface RazorpaySimulator {
  url: string;
  app: FastifyInstance;
  readonly webhookLog: readonly RazorpayWebhookLogEntry[];
  register(account: Omit<RazorpayAccount, 'webhook_url'> & { webhook_url?: string | null }): void;
  setWebhookUrl(url: string | null): void;
  link(id: string): RazorpayLink;
  /** The customer pays the link in full: `payment_link.paid` is posted. */
  pay(
    linkId: string,
    method?: string,
  ): Promise<{ paymentId: string; webhook: RazorpayWebhookLogEntry }>;
  /** A payment attempt fails: `payment.failed` is posted; the link stays payable. */
  fail(
    linkId: string,
    method?: string,
  ): Promise<{ paymentId: string; webhook: RazorpayWebhookLogEntry }>;
  /** Expires the links past their expire_by now, posting `payment_link.expired` for each. */
  expireDue(): Promise<RazorpayLink[]>;
  close(): Promise<void>;
}

const ACCOUNT_ID = 'acc_WaflowSandbox01';

/**
 * Razorpay's Payment Links API (create, fetch, list by reference id, cancel) with its request
 * validation, Basic auth and error shapes, and its signed webhooks: the sandbox's Razorpay.
 * Control routes under /__sim register keys and play the customer (pay, fail an attempt).
 */
export async function createRazorpaySimulator(
  opts: RazorpaySimulatorOptions,
): Promise<RazorpaySimulator> {
  const now = opts.now ?? Date.now;
  const accounts = new Map<string, RazorpayAccount>();
  const books = new Map<string, LinkBook>();
  /** Link id → the key id that owns it. */
  const owners = new Map<string, string>();
  const webhookLog: RazorpayWebhookLogEntry[] = [];
  let defaultWebhookUrl = opts.webhookUrl;

  const register: RazorpaySimulator['register'] = (a) => {
    accounts.set(a.key_id, { ...a, webhook_url: a.webhook_url ?? null });
    if (!books.has(a.key_id)) books.set(a.key_id, new LinkBook(now));
  };
  opts.accounts?.forEach(register);

  function authenticate(request: FastifyRequest): { account: RazorpayAccount; book: LinkBook } {
    const header = request.headers.authorization ?? '';
    const [scheme, encoded] = header.split(' ');
    if (scheme !== 'Basic' || !encoded) throw authFailed();
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const account = accounts.get(decoded.slice(0, colon));
    if (!account || account.key_secret !== decoded.slice(colon + 1)) throw authFailed();
    return { account, book: books.get(account.key_id)! };
  }

  function owned(linkId: string) {
    const keyId = owners.get(linkId);
    if (!keyId) throw badRequest('The id provided does not exist', 'id');
    return { account: accounts.get(keyId)!, book: books.get(keyId)! };
  }

  async function emit(
    account: RazorpayAccount,
    type: RazorpayEventType,
    link: RazorpayLink,
    payment?: { id: string; method: string },
  ) {
    const url = account.webhook_url ?? defaultWebhookUrl;
    const event = razorpayEvent(type, ACCOUNT_ID, link, Math.floor(now() / 1000), payment);
    if (!url) {
      const skipped = { event_id: '', event: type, url: '', status: null, error: 'no webhook URL' };
      webhookLog.push(skipped);
      return skipped;
    }
    return postRazorpayEvent(account, url, event, webhookLog);
  }

  const app = Fastify({ logger: opts.logger ?? false });
  // Razorpay takes JSON or form bodies; the SDK posts a cancel as an empty form.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, body ? JSON.parse(body as string) : {});
    } catch {
      done(badRequest('The request body is not valid JSON'), undefined);
    }
  });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  app.setErrorHandler((err, _request, reply) => {
    if (err instanceof RazorpayApiError) return reply.code(err.statusCode).send(err.body());
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    const message = err instanceof Error ? err.message : String(err);
    const code = status < 500 ? 'BAD_REQUEST_ERROR' : 'SERVER_ERROR';
    const e = new RazorpayApiError(status, message, null, code);
    return reply.code(status).send(e.body());
  });

  app.post('/v1/payment_links', async (request) => {
    const { book, account } = authenticate(request);
    const link = book.create((request.body ?? {}) as Record<string, unknown>);
    owners.set(link.id, account.key_id);
    return link;
  });
  app.get('/v1/payment_links', async (request) => {
    const { book } = authenticate(request);
    const q = request.query as { reference_id?: string };
    return { payment_links: book.list(q) };
  });
  app.get<{ Params: { id: string } }>('/v1/payment_links/:id', async (request) => {
    return authenticate(request).book.get(request.params.id);
  });
  app.post<{ Params: { id: string } }>('/v1/payment_links/:id/cancel', async (request) => {
    const { book, account } = authenticate(request);
    const link = book.cancel(request.params.id);
    void emit(account, 'payment_link.cancelled', link);
    return link;
  });

  const sim: RazorpaySimulator = {
    url: '',
    app,
    webhookLog,
    register,
    setWebhookUrl(url) {
      defaultWebhookUrl = url;
    },
    link: (id) => owned(id).book.get(id),
    async pay(linkId, method = 'upi') {
      const { book, account } = owned(linkId);
      const { link, paymentId } = book.pay(linkId, method);
      const webhook = await emit(account, 'payment_link.paid', link, { id: paymentId, method });
      return { paymentId, webhook };
    },
    async fail(linkId, method = 'card') {
      const { book, account } = owned(linkId);
      const { link, paymentId } = book.failAttempt(linkId);
      const webhook = await emit(account, 'payment.failed', link, { id: paymentId, method });
      return { paymentId, webhook };
    },
    async expireDue() {
      const expired: RazorpayLink[] = [];
      for (const [keyId, book] of books) {
        for (const link of book.expireDue()) {
          expired.push(link);
          await emit(accounts.get(keyId)!, 'payment_link.expired', link);
        }
      }
      return expired;
    },
    async close() {
      clearInterval(sweep);
      await app.close();
    },
  };

  // Control routes: no authentication, loopback only.
  app.post('/__sim/accounts', async (request) => {
    const b = (request.body ?? {}) as Partial<RazorpayAccount>;
    if (!b.key_id || !b.key_secret || !b.webhook_secret) {
      throw badRequest('key_id, key_secret and webhook_secret are required');
    }
    register({
      key_id: b.key_id,
      key_secret: b.key_secret,
      webhook_secret: b.webhook_secret,
      webhook_url: b.webhook_url ?? null,
    });
    return { registered: b.key_id };
  });
  app.post<{ Params: { id: string } }>('/__sim/payment_links/:id/pay', async (request) =>
    sim.pay(request.params.id),
  );
  app.post<{ Params: { id: string } }>('/__sim/payment_links/:id/fail', async (request) =>
    sim.fail(request.params.id),
  );
  app.post('/__sim/expire', async () => ({ expired: (await sim.expireDue()).map((l) => l.id) }));

  const sweepMs = opts.expirySweepMs ?? 0;
  const sweep = setInterval(() => void sim.expireDue(), sweepMs || 2 ** 30);
  if (!sweepMs) clearInterval(sweep);
  sweep.unref();

  const address = await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port });
  sim.url = address.replace('0.0.0.0', '127.0.0.1').replace('[::1]', '127.0.0.1');
  return sim;
}
