/**
 * Where a request carries a NUL character (in a value or a key), as `location.path`; null when
 * it has none. No store keeps NUL in text (PostgreSQL refuses it, BSON keys end at it), and no
 * WhatsApp text needs it, so requests carrying one are refused up front.
 */
export function findNul(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  // A raw body (a signed provider webhook) is kept as bytes, exactly as sent.
  if (ArrayBuffer.isView(value)) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], `${path}.${i}`);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes('\u0000')) return `${path} (a key)`;
      const found = findNul(item, `${path}.${key}`);
      if (found) return found;
    }
  }
  return null;
}
