import { normalizePhone, parsePhone, phoneOrNull, requirePhone, toWaId } from '../../lib/phone';

describe('normalizePhone (numbers already international, as Meta gives them)', () => {
  it.each([
    ['+919876543210', '+919876543210'],
    ['+91 98765-43210', '+919876543210'],
    ['919876543210', '+919876543210'],
    ['0091 (98765) 43210', '+919876543210'],
    ['+1.415.555.0100', '+14155550100'],
  ])('%s → %s', (input, expected) => {
    expect(normalizePhone(input)).toBe(expected);
  });

  it.each(['', 'hello', '+0123456789', '+12', '+1234567890123456', '+91 98765 4321x'])(
    'refuses %p',
    (input) => {
      expect(normalizePhone(input)).toBeNull();
    },
  );

  it('names the field when refusing', () => {
    expect(() => requirePhone('abc', 'to')).toThrow(/^Invalid phone number: to must be E\.164/);
  });

  it('turns E.164 into a WhatsApp id', () => {
    expect(toWaId('+919876543210')).toBe('919876543210');
  });
});

describe('parsePhone (numbers as people type them)', () => {
  it.each([
    ['9876543210', 'IN', '+919876543210'],
    ['098765 43210', 'IN', '+919876543210'],
    ['919876543210', 'IN', '+919876543210'],
    ['07400 900123', 'GB', '+447400900123'],
    ['6591234567', 'SG', '+6591234567'],
    ['(415) 555-0100', 'US', '+14155550100'],
    ['06 1234 5678', 'IT', '+390612345678'],
    // With + or 00 the default country does not matter.
    ['+44 20 7946 0958', 'IN', '+442079460958'],
    ['0044 (20) 7946-0958', 'US', '+442079460958'],
    ['+91 98765-43210', null, '+919876543210'],
  ])('%s in %s → %s', (input, country, expected) => {
    expect(parsePhone(input, 'phone_number', country)).toBe(expected);
  });

  it('refuses a national number when there is no country to read it with', () => {
    expect(() => parsePhone('9876543210', 'to')).toThrow(
      'Invalid phone number: to must be E.164, like +919876543210',
    );
    expect(() => parsePhone('9876543210', 'to', 'XX')).toThrow(/^Invalid phone number: to must/);
  });

  it('refuses a number that is not valid for its country, naming the field and the country', () => {
    expect(() => parsePhone('+9876543210', 'to')).toThrow(
      'Invalid phone number: to +9876543210 is not a valid number for IR',
    );
    expect(() => parsePhone('98765', 'phone_number', 'IN')).toThrow(
      'Invalid phone number: phone_number +9198765 is not a valid number for IN',
    );
    expect(() => parsePhone('call me', 'phone_number', 'IN')).toThrow(
      'Invalid phone number: phone_number must be E.164, like +919876543210, or a national number of IN',
    );
    expect(() => parsePhone('+1 555 010 0199', 'to')).toThrow(
      /^Invalid phone number: to \+15550100199 is not a valid number for \+1$/,
    );
    // Ofcom's range for drama is not allocated to anyone.
    expect(phoneOrNull('+44 7700 900123')).toBeNull();
  });

  it('refuses text around a number and extensions', () => {
    expect(phoneOrNull('call +919876543210')).toBeNull();
    expect(phoneOrNull('+1 415 555 0100 ext 12')).toBeNull();
    expect(phoneOrNull('+0123456789')).toBeNull();
  });
});
