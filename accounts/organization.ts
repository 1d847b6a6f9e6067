import { NotFoundError } from '../lib/errors';
import type { Store } from '../store';
import type { OrganizationPatch } from '../store/contract/organizations';
import type { OrganizationDoc } from '../store/documents';

/** The organization's settings to change; absent ones are left as they are. */
export type UpdateOrganizationRequest = OrganizationPatch;

const organizationNotFound = (id: string) => new NotFoundError(`Organization '${id}' not found`);

export async function getOrganization(
  { store }: { store: Store },
  orgId: string,
): Promise<OrganizationDoc> {
  const doc = await store.organizations.get(orgId);
  if (!doc) throw organizationNotFound(orgId);
  return doc;
}

export async function updateOrganization(
  { store }: { store: Store },
  orgId: string,
  req: UpdateOrganizationRequest,
): Promise<OrganizationDoc> {
  const doc = await store.organizations.update(orgId, req);
  if (!doc) throw organizationNotFound(orgId);
  return doc;
}
