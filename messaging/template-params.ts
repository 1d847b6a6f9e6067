import type { TemplateDoc } from '../store/documents';

export interface TemplateComponentInput {
  type: 'header' | 'body' | 'button';
  sub_type?: string;
  index?: number | string;
  parameters?: unknown[];
}

/**
 * Compares the parameters a send gives with the placeholders of the template, component by
 * component, and names the first mismatch (Meta would answer 132000 after the fact).
 */
export function parameterMismatch(
  template: Pick<TemplateDoc, 'name' | 'parameter_counts'>,
  components: TemplateComponentInput[],
): string | null {
  const given = (type: string, index?: number) =>
    components
      .filter((c) => c.type === type && (index === undefined || Number(c.index ?? 0) === index))
      .reduce((n, c) => n + (c.parameters?.length ?? 0), 0);
  const expected = template.parameter_counts;
  const checks: [string, number, number][] = [
    ['header', expected.header, given('header')],
    ['body', expected.body, given('body')],
    ...expected.buttons.map((count, i): [string, number, number] => [
      `button ${i}`,
      count,
      given('button', i),
    ]),
  ];
  for (const [where, want, got] of checks) {
    if (want !== got) {
      return `Template '${template.name}' expects ${want} ${where} parameter${want === 1 ? '' : 's'}, got ${got}`;
    }
  }
  const buttonIndexes = components
    .filter((c) => c.type === 'button')
    .map((c) => Number(c.index ?? 0));
  const unknown = buttonIndexes.find((i) => i >= expected.buttons.length);
  if (unknown !== undefined) return `Template '${template.name}' has no button ${unknown}`;
  return null;
}
