import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMetaSimulator, type MetaSimulator } from '../../sim/meta';
import type { MetaSimulatorOptions } from '../../sim/meta';
import { userIdFor } from '../../sim/meta/ids';

export const TOKEN = 'sandbox-token';
export const SECRET = 'sandbox-app-secret';
export const PHONE_ID = '106540352242922';
export const CUSTOMER = '+919876543210';
export const CUSTOMER_WA_ID = '919876543210';
/** The customer's business-scoped user id, as the simulator derives it from the number. */
export const CUSTOMER_USER_ID = userIdFor(CUSTOMER_WA_ID);

export interface StatusEvent {
  id: string;
  status: string;
  timestamp: string;
  recipient_id: string;
  recipient_user_id?: string;
  biz_opaque_callback_data?: string;
  conversation?: { id: string; expiration_timestamp?: string; origin: { type: string } };
  pricing?: Record<string, unknown>;
  errors?: Record<string, unknown>[];
}

export interface WebhookValue {
  messaging_product: string;
  metadata: { display_phone_number: string; phone_number_id: string };
  contacts?: { profile: { name: string }; wa_id: string }[];
  messages?: Record<string, unknown>[];
  statuses?: StatusEvent[];
}

export interface WebhookBody {
  object: string;
  entry: { id: string; changes: { field: string; value: WebhookValue }[] }[];
}

export interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  body: WebhookBody;
}

export const valueOf = (r: Received): WebhookValue => r.body.entry[0]!.changes[0]!.value;

export interface GraphError {
  message: string;
  type: string;
  code: number;
  error_data?: { messaging_product: string; details: string };
  fbtrace_id: string;
}

export interface SendAnswer {
  messaging_product: string;
  contacts: { input: string; wa_id: string }[];
  messages: { id: string; message_status?: string }[];
}

/** A stand-in for the engine's webhook endpoint that keeps what it was sent. */
export async function startReceiver() {
  const received: Received[] = [];
  let respond: (r: Received) => number = () => 200;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const r: Received = { headers: req.headers, raw, body: JSON.parse(raw) as WebhookBody };
      received.push(r);
      res.statusCode = respond(r);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/webhooks/meta`,
    received,
    respondWith(fn: (r: Received) => number) {
      respond = fn;
    },
    /** Every status posted, in arrival order. */
    statuses(): StatusEvent[] {
      return received.flatMap((r) => valueOf(r).statuses ?? []);
    },
    /** The statuses of one message, in arrival order. */
    statusesOf(wamid: string): string[] {
      return received
        .flatMap((r) => valueOf(r).statuses ?? [])
        .filter((s) => s.id === wamid)
        .map((s) => s.status);
    },
    messages(): Received[] {
      return received.filter((r) => valueOf(r).messages);
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

export function fakeClock(start = Date.UTC(2025, 0, 15, 10, 0, 0)) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

export interface Harness {
  sim: MetaSimulator;
  receiver: Receiver;
  clock: ReturnType<typeof fakeClock>;
  send(body: unknown, opts?: { token?: string | null; phoneId?: string }): Promise<Response>;
  close(): Promise<void>;
}

/** A simulator on a fake clock posting to a local receiver, with fast status webhooks. */
export async function startHarness(opts: Partial<MetaSimulatorOptions> = {}): Promise<Harness> {
  const receiver = await startReceiver();
  const clock = fakeClock();
  const sim = await createMetaSimulator({
    accessToken: TOKEN,
    appSecret: SECRET,
    webhookUrl: receiver.url,
    now: clock.now,
    ...opts,
    statusWebhooks: { delayMs: 1, readRate: 0, ...opts.statusWebhooks },
    webhookRetry: { attempts: 3, backoffMs: 5, ...opts.webhookRetry },
  });
  return {
    sim,
    receiver,
    clock,
    send(body, { token = TOKEN, phoneId = PHONE_ID } = {}) {
      return fetch(`${sim.url}/v25.0/${phoneId}/messages`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    },
    async close() {
      await sim.close();
      await receiver.close();
    },
  };
}

export const text = (body = 'Hello', to = CUSTOMER) => ({
  messaging_product: 'whatsapp',
  to,
  type: 'text',
  text: { body },
});

export const template = (
  name: string,
  components: unknown[] = [],
  language = 'en',
  to = CUSTOMER,
) => ({
  messaging_product: 'whatsapp',
  to,
  type: 'template',
  template: { name, language: { code: language }, components },
});

export const textParams = (...values: string[]) => values.map((v) => ({ type: 'text', text: v }));

export async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

export const errorOf = async (res: Response) => (await json<{ error: GraphError }>(res)).error;

export const wamidOf = async (res: Response) => (await json<SendAnswer>(res)).messages[0]!.id;

/** A call to the simulator's control API (`/_sim/*`). */
export const control = (sim: MetaSimulator, method: string, path: string, body?: unknown) =>
  fetch(`${sim.url}/_sim/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
