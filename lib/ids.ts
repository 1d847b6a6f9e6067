import { sha256Hex } from './crypto';

/**
 * A UUID-shaped id derived from `key`: the same key always gives the same id. Not a valid UUID
 * (no version): ids already stored are derived this way.
 */
export function idFrom(key: string): string {
  const h = sha256Hex(key);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A valid UUID (version 8: custom) derived from `name`: the same name, the same id. */
export function uuidFrom(name: string): string {
  const h = sha256Hex(name);
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
