import type { Config } from '../lib/config';
import { NotFoundError, ValidationError } from '../lib/errors';
import { checkSameRequest, idempotentCreate } from '../lib/idempotency';
import type { Store } from '../store';
import type { WebhookEndpointChanges } from '../store/contract/webhooks';
import type { WebhookEndpointDoc } from '../store/documents';
import { checkDestination, DestinationRefused, parseWebhookUrl } from './destination';
import type { EndpointDirectory } from './endpoint-directory';

export interface CreateWebhookEndpointRequest {
  name: string;
  url: string;
  events: string[];
}

export type UpdateWebhookEndpointRequest = WebhookEndpointChanges;

/** What the endpoint use cases need; each change is seen at once by this process's deliveries. */
export interface EndpointDeps {
  store: Store;
  config: Pick<Config, 'webhooks'>;
  directory: Pick<EndpointDirectory, 'invalidate'>;
}

const endpointNotFound = (id: string) => new NotFoundError(`Webhook endpoint '${id}' not found`);

/** The organization's endpoint, or 404. */
export async function webhookEndpointOf(
  store: Store,
  orgId: string,
  id: string,
): Promise<WebhookEndpointDoc> {
  const endpoint = await store.webhookEndpoints.get(orgId, id);
  if (!endpoint) throw endpointNotFound(id);
  return endpoint;
}

/** The organization's endpoints, oldest first. */
export function listWebhookEndpoints(store: Store, orgId: string): Promise<WebhookEndpointDoc[]> {
  return store.webhookEndpoints.list(orgId);
}

/** HTTPS (unless allowed otherwise), and every address it resolves to is public or allowed. */
async function checkedUrl(config: Pick<Config, 'webhooks'>, raw: string): Promise<string> {
  try {
    const url = parseWebhookUrl(raw, config.webhooks);
    await checkDestination(url, config.webhooks);
    return url.href;
  } catch (err) {
    if (err instanceof DestinationRefused) throw new ValidationError(err.message);
    throw err;
  }
}

/**
 * Registers an endpoint; its signing secret is returned this once. With an idempotency key,
 * repeating the same request returns the first endpoint and its secret (a different request
 * under the same key is a conflict).
 */
export async function createWebhookEndpoint(
  { store, config, directory }: EndpointDeps,
  orgId: string,
  request: CreateWebhookEndpointRequest,
  idempotencyKey?: string,
): Promise<{ endpoint: WebhookEndpointDoc; secret: string }> {
  const { name, events } = request;
  const idempotent = idempotentCreate('webhook-endpoint', orgId, idempotencyKey, request);
  // A repeat is answered before the URL is resolved again.
  const earlier = idempotent && (await store.webhookEndpoints.get(orgId, idempotent.id));
  if (idempotent && earlier) {
    checkSameRequest(idempotent, orgId, earlier);
    return { endpoint: earlier, secret: store.webhookEndpoints.secretOf(earlier) };
  }
  const url = await checkedUrl(config, request.url);
  const { endpoint, secret, created } = await store.webhookEndpoints.create(orgId, {
    name,
    url,
    events,
    id: idempotent?.id,
    requestHash: idempotent?.requestHash ?? null,
  });
  if (idempotent && !created) checkSameRequest(idempotent, orgId, endpoint);
  directory.invalidate(orgId);
  return { endpoint, secret };
}

/** Changes name, URL or events, or disables and enables the endpoint. */
export async function updateWebhookEndpoint(
  { store, config, directory }: EndpointDeps,
  orgId: string,
  id: string,
  request: UpdateWebhookEndpointRequest,
): Promise<WebhookEndpointDoc> {
  const changes = { ...request };
  if (changes.url !== undefined) changes.url = await checkedUrl(config, changes.url);
  const updated = await store.webhookEndpoints.update(orgId, id, changes);
  if (!updated) throw endpointNotFound(id);
  directory.invalidate(orgId);
  return updated;
}

/** Deletes the endpoint; its pending retries stop. */
export async function deleteWebhookEndpoint(
  { store, directory }: Omit<EndpointDeps, 'config'>,
  orgId: string,
  id: string,
): Promise<void> {
  if (!(await store.webhookEndpoints.delete(orgId, id))) throw endpointNotFound(id);
  directory.invalidate(orgId);
}

/** Replaces the endpoint's signing secret; returns the new one. */
export async function rotateWebhookSecret(
  { store, directory }: Omit<EndpointDeps, 'config'>,
  orgId: string,
  id: string,
): Promise<string> {
  const secret = await store.webhookEndpoints.rotateSecret(orgId, id);
  if (!secret) throw endpointNotFound(id);
  directory.invalidate(orgId);
  return secret;
}
