/** FerretDB never answers a bulk write of 100 operations or more. */
export const BULK_LIMIT = 99;

/** `items` in runs small enough for one bulk write each. */
export const bulkChunks = <T>(items: readonly T[]): T[][] =>
  Array.from({ length: Math.ceil(items.length / BULK_LIMIT) }, (_, i) =>
    items.slice(i * BULK_LIMIT, (i + 1) * BULK_LIMIT),
  );
