import { compileLinear, MAX_PATTERN_LENGTH, testLinear } from '../../lib/linear-regex';

describe('compileLinear', () => {
  it('runs a pattern that backtracks catastrophically elsewhere, and answers', () => {
    const re = compileLinear('(a+)+$', false);
    expect(testLinear(re, `${'a'.repeat(100_000)}!`, false)).toBe(false);
    expect(testLinear(re, 'a'.repeat(100_000), false)).toBe(true);
    const nested = compileLinear('^(\\w+\\s?)*$', false);
    expect(testLinear(nested, `${'word '.repeat(20_000)}!`, false)).toBe(false);
  });

  it('matches ordinary patterns as JavaScript does', () => {
    const re = compileLinear('^order\\s*#?(\\d{3,10})$', false);
    expect(testLinear(re, 'order #12345', false)).toBe(true);
    expect(testLinear(re, 'order #12', false)).toBe(false);
    expect(testLinear(compileLinear('\\bhelp\\b', false), 'I need help now', false)).toBe(true);
  });

  it('ignores case by lower-casing the text', () => {
    const re = compileLinear('where is my (order|parcel)', true);
    expect(testLinear(re, 'WHERE is My Order?', true)).toBe(true);
    expect(testLinear(re, 'WHERE is My Order?', false)).toBe(false);
  });

  it('takes upper-case letters inside escapes when ignoring case', () => {
    const re = compileLinear('^\\D+\\u00e9\\x21$', true);
    expect(testLinear(re, 'CAFé!', true)).toBe(true);
    expect(() => compileLinear('\\W\\B\\uABCD', true)).not.toThrow();
  });

  it('refuses an upper-case letter when ignoring case, saying to write it in lower case', () => {
    expect(() => compileLinear('Hello', true)).toThrow(
      "'H': with ignore_case the text is lower-cased before matching, so write the pattern in lower case",
    );
    expect(() => compileLinear('[A-Z]+', true)).toThrow(/write the pattern in lower case/);
    expect(() => compileLinear('Hello', false)).not.toThrow();
  });

  it.each([
    ['a backreference', '(a)\\1'],
    ['a lookahead', 'foo(?=bar)'],
    ['a negative lookahead', 'foo(?!bar)'],
    ['a group inside a lookbehind', '(?<=(a))b'],
    ['a large counted repetition', 'a{1,100}'],
    ['nested counted repetitions', '(a{10}){10}'],
  ])('refuses %s: it cannot run in linear time', (_, pattern) => {
    expect(() => compileLinear(pattern, false)).toThrow(
      'cannot run in linear time: backreferences, lookaheads, groups inside lookbehinds and ' +
        'counted repetitions over 16 (like {17} or {1,20}) are not allowed',
    );
  });

  it('refuses a malformed pattern with the reason', () => {
    expect(() => compileLinear('(abc', false)).toThrow(
      'not a valid regular expression: Unterminated group',
    );
  });

  it('refuses an empty pattern and one over the length cap', () => {
    expect(() => compileLinear('', false)).toThrow('the pattern is empty');
    expect(() => compileLinear('a'.repeat(MAX_PATTERN_LENGTH + 1), false)).toThrow(
      `the pattern is longer than ${MAX_PATTERN_LENGTH} characters`,
    );
    expect(() => compileLinear('a'.repeat(MAX_PATTERN_LENGTH), false)).not.toThrow();
  });
});
