import type { Store } from '../store';
import type { TemplateDoc } from '../store/documents';

export interface ListTemplatesRequest {
  account_id?: string;
  /** APPROVED, PENDING, REJECTED, PAUSED... */
  status?: string;
  name?: string;
}

/** The organization's templates, as last synced from Meta. */
export function listTemplates(
  { store }: { store: Store },
  orgId: string,
  q: ListTemplatesRequest,
): Promise<TemplateDoc[]> {
  return store.templates.list(orgId, { accountId: q.account_id, status: q.status, name: q.name });
}
