/** The `before_time`/`before_id` cursor that every newest-first list route takes and returns. */
export interface TimeCursorQuery {
  before_time?: string;
  before_id?: string;
}

/** The store's `before` position for a query, when it gives both halves of the cursor. */
export function beforeOf(q: TimeCursorQuery): { created_at: Date; id: string } | undefined {
  return q.before_time && q.before_id
    ? { created_at: new Date(q.before_time), id: q.before_id }
    : undefined;
}

/** The cursor of the page after `docs`, or null when this page was not full. */
export function nextCursor(docs: { created_at: Date; _id: string }[], limit: number) {
  const last = docs.length === limit ? docs.at(-1) : undefined;
  return last ? { before_time: last.created_at.toISOString(), before_id: last._id } : null;
}
