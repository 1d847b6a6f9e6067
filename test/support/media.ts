import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';

export interface UploadAnswer {
  data: { id: string } & Record<string, unknown>;
  message: string;
}

/** POST /api/media as a client posts it: multipart, over HTTP, to the listening app. */
export async function uploadMedia(
  app: FastifyInstance,
  apiKey: string,
  bytes: Buffer,
  type = 'image/png',
  fields: Record<string, string> = {},
  filename = 'photo.png',
): Promise<{ status: number; body: UploadAnswer }> {
  const { port } = app.server.address() as AddressInfo;
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([new Uint8Array(bytes)], { type }), filename);
  const res = await fetch(`http://127.0.0.1:${port}/api/media`, {
    method: 'POST',
    headers: { 'x-api-key': apiKey },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as UploadAnswer };
}
