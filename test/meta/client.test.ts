import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMetaClient, type MetaClient } from '../../meta/client';
import { MetaApiError } from '../../meta/errors';
import { freePort } from '../../scripts/infra';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

let server: Server;
let handler: Handler;
let graphUrl: string;
let client: MetaClient;
const requests: { url: string; auth?: string; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      requests.push({ url: req.url!, auth: req.headers.authorization, body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  graphUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = createMetaClient({ apiVersion: 'v25.0', timeoutMs: 2_000 });
});
afterAll(async () => {
  await client.close();
  await new Promise((r) => server.close(r));
});
beforeEach(() => (requests.length = 0));

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const metaError = (code: number, message: string, details?: string) => ({
  error: {
    message,
    type: 'OAuthException',
    code,
    error_data: details ? { messaging_product: 'whatsapp', details } : undefined,
    fbtrace_id: 'AbC',
  },
});
const target = () => ({ graphUrl, accessToken: 'EAAG-token', phoneNumberId: '1065' });
const send = () =>
  client.sendMessage(target(), { to: '919876543210', type: 'text', text: { body: 'hi' } });

async function failure(p: Promise<unknown>): Promise<MetaApiError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MetaApiError);
  return err as MetaApiError;
}

describe('Meta client', () => {
  it("posts Meta's message shape with the bearer token and returns the wamid", async () => {
    handler = (_req, _body, res) =>
      json(res, 200, {
        messaging_product: 'whatsapp',
        contacts: [{ input: '919876543210', wa_id: '919876543210' }],
        messages: [{ id: 'wamid.ABC' }],
      });
    await expect(send()).resolves.toEqual({ wamid: 'wamid.ABC', waId: '919876543210' });
    expect(requests[0]).toMatchObject({ url: '/v25.0/1065/messages', auth: 'Bearer EAAG-token' });
    expect(JSON.parse(requests[0]!.body)).toEqual({
      messaging_product: 'whatsapp',
      to: '919876543210',
      type: 'text',
      text: { body: 'hi' },
    });
  });

  it.each([
    [400, 130429, 'retryable'],
    [503, 131057, 'retryable'],
    [400, 131056, 'retryable'],
    [500, 131000, 'retryable'],
    [400, 131026, 'fatal'],
    [400, 131047, 'fatal'],
    [400, 100, 'fatal'],
    [400, 132001, 'fatal'],
    [401, 190, 'disconnected'],
  ])('classifies HTTP %i code %i as %s', async (status, code, kind) => {
    handler = (_req, _body, res) => json(res, status, metaError(code, `(#${code}) Something`));
    const err = await failure(send());
    expect(err).toMatchObject({ code, kind, httpStatus: status, fbtraceId: 'AbC' });
  });

  it('words errors as the product documents them, with Meta details', async () => {
    handler = (_req, _body, res) =>
      json(res, 400, metaError(131047, '(#131047) Re-engagement message'));
    expect((await failure(send())).message).toBe('Re-engagement message');
    handler = (_req, _body, res) =>
      json(res, 400, metaError(100, '(#100) Invalid parameter', 'Parameter to is missing'));
    expect((await failure(send())).message).toBe('Invalid parameter: Parameter to is missing');
  });

  it('retries a server error without a JSON body', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>Bad gateway</html>');
    };
    expect(await failure(send())).toMatchObject({ kind: 'retryable', httpStatus: 502 });
  });

  it('retries a refused connection: the request never left', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const err = await failure(
      client.sendMessage({ ...target(), graphUrl: closed }, { to: '1', type: 'text' }),
    );
    expect(err.kind).toBe('retryable');
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('does not blindly retry a connection dropped after the request was sent', async () => {
    handler = (req) => req.socket.destroy();
    const err = await failure(send());
    expect(err.kind).toBe('ambiguous');
    expect(requests).toHaveLength(1);
  });

  it('follows template pages by their after cursor', async () => {
    handler = (req, _body, res) => {
      const after = new URL(req.url!, 'http://x').searchParams.get('after');
      if (!after) {
        json(res, 200, {
          data: [{ name: 'a' }],
          paging: { cursors: { after: 'c1' }, next: `${graphUrl}/next` },
        });
      } else {
        json(res, 200, { data: [{ name: 'b' }], paging: { cursors: { after: 'c2' } } });
      }
    };
    const first = await client.listTemplates(
      { graphUrl, accessToken: 't', wabaId: 'w' },
      { limit: 1 },
    );
    expect(first).toEqual({ templates: [{ name: 'a' }], after: 'c1' });
    expect(requests[0]!.url).toBe('/v25.0/w/message_templates?limit=1');
    const second = await client.listTemplates(
      { graphUrl, accessToken: 't', wabaId: 'w' },
      { after: 'c1' },
    );
    expect(second).toEqual({ templates: [{ name: 'b' }], after: null });
  });
});
