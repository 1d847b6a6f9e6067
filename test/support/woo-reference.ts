import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The lines of a fixture in test/fixtures/reference/, its `#` comment (the section) left out. */
export function referenceLines(file: string): string[] {
  const text = readFileSync(join(__dirname, '..', 'fixtures', 'reference', file), 'utf8');
  return text.split('\n').filter((line) => line.trim() && !line.startsWith('#'));
}

/** Where a placeholder was on the reference's page: before a comma, after `#`, after a last `: `. */
const GAP = / (?=[,.!?])|#(?=\s|$)|: $/g;

/**
 * The reference's WooCommerce templates (its setup page, step 3) with their placeholders put
 * back in order (`{{1}}`, `{{2}}`, …) and their counts.
 */
export function referenceWooTemplates(): { name: string; text: string; parameters: number }[] {
  return referenceLines('woocommerce-templates.txt').map((line) => {
    const [, name, shown] = /^- (\w+) — "(.*)"$/.exec(line)!;
    let n = 0;
    const text = shown!.replace(GAP, (gap) => `${gap}{{${++n}}}`);
    return { name: name!, text, parameters: n };
  });
}

/** The reference's event → template mapping (its setup page, step 4). */
export function referenceWooMapping(): { event: string; template: string }[] {
  return referenceLines('woocommerce-event-mapping.txt').map((line) => {
    const [, event, template] = /^- (.+) → (\w+) template$/.exec(line)!;
    return { event: event!, template: template! };
  });
}
