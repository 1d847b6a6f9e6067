import { sha256Hex } from './crypto';

/** A UUID-shaped id derived from `key`: the same key always gives the same id. */
export function idFrom(key: string): string {
  const h = sha256Hex(key);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
