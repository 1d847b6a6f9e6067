import { maskKey } from '../../payments/gateway-settings';

describe('maskKey', () => {
  it.each([
    ['sk_test_4eC39HqLyjWDarjtT1zdp7dc', 'sk_test_…p7dc'],
    ['sk_live_51HxYzAbCdEfGhIjKlMn', 'sk_live_…KlMn'],
    ['rk_test_51HxYzAbCdEfGhIjKlMn', 'rk_test_…KlMn'],
    ['rk_live_51HxYzAbCdEfGhIjKlMn', 'rk_live_…KlMn'],
    ['whsec_test0secret0for0waflow', 'whsec_…flow'],
    ['rzp_test_1DP5mmOlF5G5ag', 'rzp_test_…G5ag'],
    ['rzp_live_1DP5mmOlF5G5ag', 'rzp_live_…G5ag'],
  ])('shows the prefix of the known format %s and its last four characters', (key, masked) => {
    expect(maskKey(key)).toBe(masked);
  });

  it('shows only the last four characters of a secret of no known format', () => {
    // Underscores inside a secret are not a prefix: nothing before the last four shows.
    expect(maskKey('my_secret_webhook_key_2024_abcd')).toBe('…abcd');
    expect(maskKey('thisisasecretkey_x1y2')).toBe('…x1y2');
    expect(maskKey('sk_prod_abcdefghijklmnop')).toBe('…mnop');
  });

  it('shows no characters of a short secret', () => {
    expect(maskKey('shortsecret')).toBe('…');
    expect(maskKey('whsec_abcdefgh')).toBe('whsec_…');
  });
});
