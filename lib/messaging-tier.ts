/** The tier Meta names for a number of unique users a day (negative: unlimited). */
export function tierOf(users: number): string {
  if (users < 0) return 'TIER_UNLIMITED';
  return users >= 1_000 && users % 1_000 === 0 ? `TIER_${users / 1_000}K` : `TIER_${users}`;
}
