import { normalizePhone, requirePhone, toWaId } from '../../lib/phone';

describe('normalizePhone', () => {
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
