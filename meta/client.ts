import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { MetaApiError, networkError } from './errors';

/** Which number, and with which credentials, a call is made. */
export interface MetaTarget {
  /** Base URL of the Graph API: Meta's, or the simulator's. */
  graphUrl: string;
  accessToken: string;
}

/**
 * Where a message is sent: MARKETING templates of a number onboarded to the Marketing Messages
 * API go to `marketing_messages`, everything else to `messages`. Same body, same answer.
 */
export type SendEndpoint = 'messages' | 'marketing_messages';

export interface SendResult {
  wamid: string;
  waId: string | null;
}

export interface MetaTemplate {
  id: string;
  name: string;
  language: string;
  status: string;
  category: string;
  components: Record<string, unknown>[];
  quality_score?: { score?: string };
}

/** A phone number as Meta describes it to a token that can read it. */
export interface MetaPhoneNumber {
  id: string;
  displayPhoneNumber: string | null;
  verifiedName: string | null;
  /** The business portfolio's messaging limit (`TIER_250`, `TIER_2K`... `TIER_UNLIMITED`). */
  messagingLimitTier: string | null;
  /** `GREEN`, `YELLOW`, `RED` or `UNKNOWN`. */
  qualityRating: string | null;
}

/** The Meta business (portfolio) that owns a WABA. */
export interface MetaBusiness {
  id: string;
  name: string | null;
}

export interface TemplatePage {
  templates: MetaTemplate[];
  /** Cursor of the next page, absent on the last one. */
  after: string | null;
}

/** `messaging_limit_tier` is deprecated: the portfolio's limit has its own field since v24. */
const PHONE_NUMBER_FIELDS = [
  'id',
  'display_phone_number',
  'verified_name',
  'whatsapp_business_manager_messaging_limit',
  'quality_rating',
].join(',');

interface GraphError {
  error?: {
    code?: number;
    message?: string;
    error_data?: { details?: string };
    fbtrace_id?: string;
  };
}

/**
 * The one client of Meta's Cloud API. It never retries by itself: callers (activities) decide,
 * from the error's kind, whether Temporal retries, fails, or disconnects the account.
 */
export function createMetaClient(opts: {
  apiVersion: string;
  timeoutMs?: number;
  connections?: number;
}) {
  const timeout = opts.timeoutMs ?? 15_000;
  const dispatcher = new Agent({
    connections: opts.connections ?? 64,
    keepAliveTimeout: 30_000,
    headersTimeout: timeout,
    bodyTimeout: timeout,
  });

  async function call<T>(
    target: MetaTarget,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<T> {
    return body === undefined
      ? callRaw<T>(target, method, path)
      : callRaw<T>(target, method, path, {
          contentType: 'application/json',
          bytes: JSON.stringify(body),
        });
  }

  async function callRaw<T>(
    target: MetaTarget,
    method: 'GET' | 'POST',
    path: string,
    body?: { contentType: string; bytes: string | Readable; length?: number },
  ): Promise<T> {
    let res;
    try {
      res = await request(`${target.graphUrl}/${opts.apiVersion}/${path}`, {
        method,
        dispatcher,
        headers: {
          authorization: `Bearer ${target.accessToken}`,
          ...(body === undefined ? {} : { 'content-type': body.contentType }),
          ...(body?.length === undefined ? {} : { 'content-length': String(body.length) }),
        },
        body: body?.bytes,
      });
    } catch (err) {
      throw networkError(err);
    }
    let parsed: unknown;
    try {
      parsed = await res.body.json();
    } catch (err) {
      if (res.statusCode >= 500) {
        throw new MetaApiError(0, `Meta answered ${res.statusCode}`, res.statusCode);
      }
      throw networkError(err);
    }
    if (res.statusCode >= 400) {
      const e = (parsed as GraphError).error;
      throw new MetaApiError(
        e?.code ?? 0,
        e?.message ?? `Meta answered ${res.statusCode}`,
        res.statusCode,
        e?.error_data?.details ?? null,
        e?.fbtrace_id ?? null,
      );
    }
    return parsed as T;
  }

  return {
    async sendMessage(
      target: MetaTarget & { phoneNumberId: string },
      message: Record<string, unknown>,
      endpoint: SendEndpoint = 'messages',
    ): Promise<SendResult> {
      const res = await call<{ messages?: { id: string }[]; contacts?: { wa_id: string }[] }>(
        target,
        'POST',
        `${target.phoneNumberId}/${endpoint}`,
        { messaging_product: 'whatsapp', ...message },
      );
      const wamid = res.messages?.[0]?.id;
      if (!wamid)
        throw new MetaApiError(
          0,
          'Meta accepted the message without an id',
          200,
          null,
          null,
          'ambiguous',
        );
      return { wamid, waId: res.contacts?.[0]?.wa_id ?? null };
    },

    /**
     * Meta's read receipt for a received message (two blue ticks for the customer), with the
     * typing indicator if asked: shown until the business answers, or for 25 seconds.
     */
    async markRead(
      target: MetaTarget & { phoneNumberId: string },
      wamid: string,
      typingIndicator = false,
    ): Promise<void> {
      await call<{ success?: boolean }>(target, 'POST', `${target.phoneNumberId}/messages`, {
        messaging_product: 'whatsapp',
        status: 'read',
        message_id: wamid,
        ...(typingIndicator ? { typing_indicator: { type: 'text' } } : {}),
      });
    },

    /**
     * Uploads a file for the number (`POST /{phone-number-id}/media`), streamed from `file`:
     * Meta's id of it, which sends may name for 30 days.
     */
    async uploadMedia(
      target: MetaTarget & { phoneNumberId: string },
      file: { stream: Readable; size: number; mimeType: string; filename: string },
    ): Promise<string> {
      const { contentType, length, bytes } = multipartBody(file);
      const res = await callRaw<{ id?: string }>(
        target,
        'POST',
        `${encodeURIComponent(target.phoneNumberId)}/media`,
        { contentType, bytes, length },
      );
      if (!res.id) throw new MetaApiError(0, 'Meta answered an upload without an id', 200);
      return res.id;
    },

    async listTemplates(
      target: MetaTarget & { wabaId: string },
      page: { after?: string | null; limit?: number } = {},
    ): Promise<TemplatePage> {
      const query = new URLSearchParams({ limit: String(page.limit ?? 100) });
      if (page.after) query.set('after', page.after);
      const res = await call<{
        data: MetaTemplate[];
        paging?: { cursors?: { after?: string }; next?: string };
      }>(target, 'GET', `${target.wabaId}/message_templates?${query.toString()}`);
      return {
        templates: res.data,
        after: res.paging?.next ? (res.paging.cursors?.after ?? null) : null,
      };
    },

    /**
     * Reads a phone number with the target's token. Meta answers 190 for a bad token, and 100
     * (subcode 33) for a number the token cannot read or that does not exist.
     */
    async getPhoneNumber(target: MetaTarget & { phoneNumberId: string }): Promise<MetaPhoneNumber> {
      const res = await call<{
        id?: string;
        display_phone_number?: string;
        verified_name?: string;
        whatsapp_business_manager_messaging_limit?: string;
        quality_rating?: string;
      }>(
        target,
        'GET',
        `${encodeURIComponent(target.phoneNumberId)}?fields=${PHONE_NUMBER_FIELDS}`,
      );
      return {
        id: res.id ?? target.phoneNumberId,
        displayPhoneNumber: res.display_phone_number ?? null,
        verifiedName: res.verified_name ?? null,
        messagingLimitTier: res.whatsapp_business_manager_messaging_limit ?? null,
        qualityRating: res.quality_rating ?? null,
      };
    },

    /** The business portfolio owning the WABA; null if Meta does not name one. */
    async getWabaOwner(target: MetaTarget & { wabaId: string }): Promise<MetaBusiness | null> {
      const res = await call<{ owner_business_info?: { id?: string; name?: string } }>(
        target,
        'GET',
        `${encodeURIComponent(target.wabaId)}?fields=owner_business_info`,
      );
      const owner = res.owner_business_info;
      return owner?.id ? { id: owner.id, name: owner.name ?? null } : null;
    },

    /**
     * Meta's description of a media file (`GET /{media-id}`): its download URL, good for 5
     * minutes, and what the file should be.
     */
    async getMedia(target: MetaTarget, mediaId: string): Promise<MetaMedia> {
      const res = await call<{
        url?: string;
        mime_type?: string;
        sha256?: string;
        file_size?: number | string;
      }>(target, 'GET', encodeURIComponent(mediaId));
      if (!res.url) throw new MetaApiError(0, `Meta described media ${mediaId} without a URL`, 200);
      const size = Number(res.file_size);
      return {
        url: res.url,
        mimeType: res.mime_type ?? null,
        sha256: res.sha256 ?? null,
        fileSize: Number.isFinite(size) ? size : null,
      };
    },

    /**
     * Starts the download of a media URL with the account's token; the body streams (the
     * caller consumes or discards it). A non-2xx answer is a MetaApiError.
     */
    async downloadMedia(target: MetaTarget, url: string) {
      let res;
      try {
        res = await request(url, {
          dispatcher,
          headers: { authorization: `Bearer ${target.accessToken}` },
        });
      } catch (err) {
        throw networkError(err);
      }
      if (res.statusCode >= 300) {
        const parsed = (await res.body.json().catch(() => ({}))) as GraphError;
        const e = parsed.error;
        throw new MetaApiError(
          e?.code ?? 0,
          e?.message ?? `Meta answered ${res.statusCode} to the download`,
          res.statusCode,
        );
      }
      return { body: res.body, contentType: res.headers['content-type'] };
    },

    close: () => dispatcher.close(),
  };
}

/** A media file as Meta describes it. */
export interface MetaMedia {
  url: string;
  mimeType: string | null;
  /** Hex. */
  sha256: string | null;
  fileSize: number | null;
}

export type MetaClient = ReturnType<typeof createMetaClient>;

/** A multipart/form-data body with Meta's upload fields and the file streamed last. */
function multipartBody(file: {
  stream: Readable;
  size: number;
  mimeType: string;
  filename: string;
}) {
  const boundary = `----waflow${randomBytes(12).toString('hex')}`;
  const field = (name: string, value: string) =>
    `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const safeName = file.filename.replace(/["\r\n\\]/g, '_');
  const head = Buffer.from(
    field('messaging_product', 'whatsapp') +
      field('type', file.mimeType) +
      `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${safeName}"\r\n` +
      `content-type: ${file.mimeType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  async function* bytes() {
    yield head;
    for await (const chunk of file.stream) yield chunk as Buffer;
    yield tail;
  }
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length: head.length + file.size + tail.length,
    bytes: Readable.from(bytes()),
  };
}
