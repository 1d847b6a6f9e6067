import { parseDelay } from '../../lib/duration';
import { localTime, nextAllowedMoment, type DeliverySchedule } from '../../lib/delivery-schedule';

const weekdays: DeliverySchedule = {
  timezone: 'America/New_York',
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  start: '09:00',
  end: '17:00',
};
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('delays', () => {
  it.each([
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['3d', 259_200_000],
    [' 0m ', 0],
    ['365d', 365 * 86_400_000],
  ])('%s is %d ms', (text, ms) => expect(parseDelay(text)).toBe(ms));

  it.each(['', '3', '2 weeks', '-1d', '1.5h', '366d', '3D'])('refuses %p', (text) =>
    expect(parseDelay(text)).toBeNull(),
  );
});

describe('delivery schedule', () => {
  it('lets a moment inside the allowed hours through as it is', () => {
    expect(iso(nextAllowedMoment(at('2025-03-05T15:00:00Z'), weekdays))).toBe(
      '2025-03-05T15:00:00.000Z',
    );
  });

  it('moves a moment after hours to the next allowed morning, in the zone', () => {
    // Wednesday 18:00 in New York (EST, UTC-5) -> Thursday 09:00 EST.
    expect(iso(nextAllowedMoment(at('2025-03-05T23:00:00Z'), weekdays))).toBe(
      '2025-03-06T14:00:00.000Z',
    );
    // Before the start the same day.
    expect(iso(nextAllowedMoment(at('2025-03-05T12:00:00Z'), weekdays))).toBe(
      '2025-03-05T14:00:00.000Z',
    );
  });

  it('skips days that are not allowed, across a DST change', () => {
    // Friday 18:00 EST; clocks go forward on Sunday 9 March: Monday 09:00 is EDT (UTC-4).
    expect(iso(nextAllowedMoment(at('2025-03-07T23:00:00Z'), weekdays))).toBe(
      '2025-03-10T13:00:00.000Z',
    );
    // And back in autumn: Friday 31 October 18:00 EDT -> Monday 3 November 09:00 EST.
    expect(iso(nextAllowedMoment(at('2025-10-31T22:00:00Z'), weekdays))).toBe(
      '2025-11-03T14:00:00.000Z',
    );
  });

  it("uses the contact's own zone when it is valid, else the schedule's", () => {
    // 23:00 UTC Friday is 04:30 Saturday in Kolkata: Monday 09:00 IST is 03:30 UTC.
    expect(iso(nextAllowedMoment(at('2025-03-07T23:00:00Z'), weekdays, 'Asia/Kolkata'))).toBe(
      '2025-03-10T03:30:00.000Z',
    );
    expect(iso(nextAllowedMoment(at('2025-03-07T23:00:00Z'), weekdays, 'Mars/Olympus'))).toBe(
      '2025-03-10T13:00:00.000Z',
    );
  });

  it('ends at the end time, not including it, and allows until midnight with 24:00', () => {
    expect(iso(nextAllowedMoment(at('2025-03-05T22:00:00Z'), weekdays))).toBe(
      '2025-03-06T14:00:00.000Z',
    );
    const late = { ...weekdays, timezone: 'UTC', days: ['wed' as const], end: '24:00' };
    expect(iso(nextAllowedMoment(at('2025-03-05T23:59:00Z'), late))).toBe(
      '2025-03-05T23:59:00.000Z',
    );
    expect(iso(nextAllowedMoment(at('2025-03-06T00:00:00Z'), late))).toBe(
      '2025-03-12T09:00:00.000Z',
    );
  });

  it('allows every moment without a schedule', () => {
    expect(nextAllowedMoment(1234, null)).toBe(1234);
  });

  it('reads local time in a zone', () => {
    expect(localTime(at('2025-03-10T13:00:00Z'), 'America/New_York')).toMatchObject({
      weekday: 'mon',
      minutes: 9 * 60,
    });
  });
});
