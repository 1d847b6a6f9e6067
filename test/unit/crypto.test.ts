import { randomBytes } from 'node:crypto';
import {
  decryptSecret,
  encryptSecret,
  hashPassword,
  safeEqual,
  verifyPassword,
} from '../../lib/crypto';

describe('secrets at rest', () => {
  const key = randomBytes(32);

  it('round-trips and never stores the plaintext', () => {
    const sealed = encryptSecret('EAAG-meta-token', key);
    expect(sealed).not.toContain('EAAG');
    expect(sealed.startsWith('v1:')).toBe(true);
    expect(decryptSecret(sealed, key)).toBe('EAAG-meta-token');
  });

  it('uses a fresh IV every time', () => {
    expect(encryptSecret('same', key)).not.toBe(encryptSecret('same', key));
  });

  it('refuses a tampered ciphertext or the wrong key', () => {
    const [v, iv, tag, data] = encryptSecret('secret', key).split(':');
    const flipped = Buffer.from(data!, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => decryptSecret([v, iv, tag, flipped.toString('base64')].join(':'), key)).toThrow();
    expect(() => decryptSecret(encryptSecret('secret', key), randomBytes(32))).toThrow();
  });
});

describe('passwords', () => {
  it('verifies the right password and refuses others', async () => {
    const stored = await hashPassword('s3cret!');
    expect(stored).toMatch(/^scrypt\$/);
    expect(stored).not.toContain('s3cret!');
    await expect(verifyPassword('s3cret!', stored)).resolves.toBe(true);
    await expect(verifyPassword('s3cret', stored)).resolves.toBe(false);
    await expect(verifyPassword('s3cret!', 'garbage')).resolves.toBe(false);
  });
});

describe('safeEqual', () => {
  it('compares strings of any length', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });
});
