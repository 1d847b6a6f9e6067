const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DELAY = /^(\d{1,6})\s*([mhd])$/;

/** The longest delay a step may have. */
export const MAX_DELAY_MS = 365 * UNIT_MS.d;

/** A delay written like `30m`, `2h` or `3d` (`0m` for at once), in ms; null when malformed. */
export function parseDelay(text: string): number | null {
  const m = DELAY.exec(text.trim());
  if (!m) return null;
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return ms <= MAX_DELAY_MS ? ms : null;
}
