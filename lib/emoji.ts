const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * Whether the text is exactly one emoji (one grapheme: a pictograph with its modifiers and
 * joiners, a keycap, or a flag), as Meta takes a reaction's emoji.
 */
export function isOneEmoji(text: string): boolean {
  const parts = [...graphemes.segment(text)];
  if (parts.length !== 1) return false;
  return /\p{Extended_Pictographic}|\p{Regional_Indicator}{2}|\u20e3/u.test(text);
}
