/**
 * When a sequence may send: allowed weekdays and hours in a timezone. Pure and deterministic
 * (Intl only), so a workflow's activity computes the same moment from the same inputs.
 */

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface DeliverySchedule {
  /** IANA zone, used unless the contact has one of its own. */
  timezone: string;
  days: Weekday[];
  /** `HH:MM`, local; sending is allowed from `start` up to (not including) `end`. */
  start: string;
  /** `HH:MM`, after `start`; `24:00` for the end of the day. */
  end: string;
}

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

export function isTimezone(zone: unknown): zone is string {
  if (typeof zone !== 'string' || !zone) return false;
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(zone, f);
  }
  return f;
}

interface Local {
  year: number;
  month: number;
  day: number;
  /** Minutes since local midnight. */
  minutes: number;
  second: number;
  weekday: Weekday;
}

export function localTime(at: number, zone: string): Local {
  const parts: Record<string, string> = {};
  for (const p of formatter(zone).formatToParts(new Date(at))) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
    second: Number(parts.second),
    weekday: (parts.weekday ?? '').toLowerCase().slice(0, 3) as Weekday,
  };
}

/** How far the zone's wall clock is ahead of UTC at `at`, in ms. */
function offsetAt(at: number, zone: string): number {
  const l = localTime(at, zone);
  const wall = Date.UTC(l.year, l.month - 1, l.day, 0, l.minutes, l.second);
  return wall - (at - (((at % 1000) + 1000) % 1000));
}

/** The instant the zone's clocks show `minutes` past midnight on that local date. */
function instantOf(year: number, month: number, day: number, minutes: number, zone: string) {
  const wall = Date.UTC(year, month - 1, day, 0, minutes);
  const first = wall - offsetAt(wall, zone);
  // Around a change the offset at the guess may be the other side's: take the one that holds.
  return wall - offsetAt(first, zone);
}

export const minutesOf = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

/** The zone a contact's sends are timed in: its own when valid, else the schedule's. */
export function zoneFor(schedule: DeliverySchedule, contactZone: string | null | undefined) {
  return isTimezone(contactZone) ? contactZone : schedule.timezone;
}

/**
 * The first moment at or after `at` (epoch ms) that the schedule allows, in `zone`. Without a
 * schedule every moment is allowed.
 */
export function nextAllowedMoment(
  at: number,
  schedule: DeliverySchedule | null,
  zone?: string | null,
): number {
  if (!schedule || !schedule.days.length) return at;
  const tz = zoneFor(schedule, zone);
  const start = minutesOf(schedule.start);
  const end = minutesOf(schedule.end);
  const now = localTime(at, tz);
  if (schedule.days.includes(now.weekday) && now.minutes >= start && now.minutes < end) return at;
  // Local calendar days from today on: noon UTC of the local date keeps day arithmetic exact.
  const noon = Date.UTC(now.year, now.month - 1, now.day, 12);
  for (let d = 0; d <= 7; d++) {
    const date = new Date(noon + d * DAY_MS);
    const weekday = WEEKDAYS[date.getUTCDay()]!;
    if (!schedule.days.includes(weekday)) continue;
    const moment = instantOf(
      date.getUTCFullYear(),
      date.getUTCMonth() + 1,
      date.getUTCDate(),
      start,
      tz,
    );
    if (moment > at) return moment;
  }
  return at;
}
