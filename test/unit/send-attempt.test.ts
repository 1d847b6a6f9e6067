import type { MetaClient } from '../../meta/client';
import { MetaApiError } from '../../meta/errors';
import { attemptSend } from '../../sending/attempt';
import type { AccountDoc, MessageDoc } from '../../store/documents';

const account = { graph_url: 'http://graph', phone_number_id: '1065' } as AccountDoc;
const message = {
  _id: 'm1',
  phone_number: '+14155550100',
  type: 'template',
  content: { name: 'promo', language: { code: 'en' } },
} as unknown as MessageDoc;

/** A client whose send fails with Meta's `code`, recording the endpoint it was asked for. */
function refusing(code: number, httpStatus = 400) {
  const endpoints: string[] = [];
  const meta = {
    sendMessage: async (_t: unknown, _m: unknown, endpoint = 'messages') => {
      endpoints.push(endpoint);
      throw new MetaApiError(code, `(#${code}) refused`, httpStatus, 'details from Meta');
    },
  } as unknown as MetaClient;
  return { meta, endpoints };
}

describe('what a send attempt comes to, by Meta error code', () => {
  it.each([
    [130472, /marketing message experiment/],
    [131026, /Recipient not on WhatsApp/],
    [131047, /^Re-engagement message/],
    [131051, /Unsupported message type/],
  ])('%i is final, never retried, with its reason', async (code, text) => {
    const attempt = await attemptSend(refusing(code).meta, account, 't', message);
    expect(attempt).toEqual({ kind: 'failed', reason: { code, message: expect.any(String) } });
    expect(attempt.kind === 'failed' && attempt.reason.message).toMatch(text);
  });

  it('defers 131049, the per-user marketing cap', async () => {
    const attempt = await attemptSend(refusing(131049).meta, account, 't', message);
    expect(attempt).toMatchObject({ kind: 'deferred', reason: { code: 131049 } });
  });

  it('sends through the endpoint it is given', async () => {
    const { meta, endpoints } = refusing(131026);
    await attemptSend(meta, account, 't', message, 'marketing_messages');
    await attemptSend(meta, account, 't', message);
    expect(endpoints).toEqual(['marketing_messages', 'messages']);
  });
});
