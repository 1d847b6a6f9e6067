const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export type DurationUnit = keyof typeof UNIT_MS;
const DURATION = /^(\d{1,6})\s*([smhd])$/;

/** The longest delay a step may have. */
export const MAX_DELAY_MS = 365 * UNIT_MS.d;

/**
 * A duration written like `5s`, `30m`, `2h` or `3d`, with one of `units`, in ms; null when
 * malformed.
 */
export function parseDuration(
  text: string,
  units: readonly DurationUnit[] = ['s', 'm', 'h', 'd'],
): number | null {
  const m = DURATION.exec(text.trim());
  if (!m || !units.includes(m[2] as DurationUnit)) return null;
  return Number(m[1]) * UNIT_MS[m[2] as DurationUnit];
}

/** A step's delay, like `30m`, `2h` or `3d` (`0m` for at once), in ms; null when malformed. */
export function parseDelay(text: string): number | null {
  const ms = parseDuration(text, ['m', 'h', 'd']);
  return ms !== null && ms <= MAX_DELAY_MS ? ms : null;
}
