import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetaTemplate } from '../../meta/client';

interface Waba {
  templates: MetaTemplate[];
  pageSize: number;
  /** Answer Meta's expired-token error (190) instead of the list. */
  tokenRevoked: boolean;
  /** How many next requests fail with a 500 first. */
  failures: number;
  /** Delay before each page, to keep a sync running for a while. */
  delayMs: number;
}

/**
 * A stand-in for Meta's `GET /{version}/{waba-id}/message_templates`: cursor-paginated pages,
 * the 190 error of a revoked token, and passing server errors. Unknown WABAs have no templates.
 * `GET /{version}/{phone-number-id}` answers every number, for the API's check of an account's
 * number before it stores the account.
 */
export async function startTemplateServer() {
  const wabas = new Map<string, Waba>();
  const requests: { wabaId: string; after: string | null; status: number }[] = [];

  const answer = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const number = /^\/v[\d.]+\/(\d+)$/.exec(url.pathname);
    if (req.method === 'GET' && number) {
      return answer(res, 200, {
        id: number[1],
        display_phone_number: '+1 555-0100',
        verified_name: 'Template Test',
      });
    }
    const match = /^\/v[\d.]+\/(\d+)\/message_templates$/.exec(url.pathname);
    if (req.method !== 'GET' || !match) return answer(res, 404, { error: { code: 100 } });
    const wabaId = match[1]!;
    const after = url.searchParams.get('after');
    const waba = wabas.get(wabaId);
    const record = (status: number) => requests.push({ wabaId, after, status });
    if (waba?.delayMs) await new Promise((r) => setTimeout(r, waba.delayMs));
    if (waba?.tokenRevoked) {
      record(401);
      return answer(res, 401, {
        error: {
          message: 'Invalid OAuth access token',
          type: 'OAuthException',
          code: 190,
          fbtrace_id: 'x',
        },
      });
    }
    if (waba && waba.failures > 0) {
      waba.failures -= 1;
      record(500);
      return answer(res, 500, { error: { message: 'Service unavailable', code: 2 } });
    }
    const all = waba?.templates ?? [];
    const size = waba?.pageSize ?? 100;
    const start = after ? Number(Buffer.from(after, 'base64url').toString()) : 0;
    const data = all.slice(start, start + size);
    const end = start + data.length;
    const cursor = (n: number) => Buffer.from(String(n)).toString('base64url');
    record(200);
    answer(res, 200, {
      data,
      paging: {
        cursors: { before: cursor(start), after: cursor(end) },
        ...(end < all.length
          ? { next: `http://localhost${url.pathname}?after=${cursor(end)}` }
          : {}),
      },
    });
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    set(wabaId: string, waba: Partial<Waba>) {
      const current = wabas.get(wabaId) ?? {
        templates: [],
        pageSize: 100,
        tokenRevoked: false,
        failures: 0,
        delayMs: 0,
      };
      wabas.set(wabaId, { ...current, ...waba });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type TemplateServer = Awaited<ReturnType<typeof startTemplateServer>>;
