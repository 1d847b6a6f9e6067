import type { TemplateDoc } from '../store/documents';

/** How many parameters a send must give each part of a Meta message template. */
export interface ParameterCounts {
  header: number;
  body: number;
  /** One count per button, in the template's order. */
  buttons: number[];
}

const MEDIA_FORMATS = new Set(['IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION']);
/** Positional `{{1}}` and named `{{first_name}}` placeholders. */
const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

type Component = Record<string, unknown>;

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const upper = (value: unknown): string => text(value).toUpperCase();

/** Distinct placeholders: `{{1}}` used twice is filled by one parameter. */
export function countPlaceholders(value: string): number {
  return new Set(Array.from(value.matchAll(PLACEHOLDER), (m) => m[1])).size;
}

function component(components: Component[], type: string): Component | undefined {
  return components.find((c) => upper(c.type) === type);
}

/** The header's media format (IMAGE, VIDEO, DOCUMENT, LOCATION), or null for text or none. */
export function headerFormat(components: Component[]): string | null {
  const format = upper(component(components, 'HEADER')?.format);
  return MEDIA_FORMATS.has(format) ? format : null;
}

function buttonCount(button: unknown): number {
  if (typeof button !== 'object' || button === null) return 0;
  const b = button as Component;
  switch (upper(b.type)) {
    case 'URL':
      return countPlaceholders(text(b.url)) > 0 ? 1 : 0;
    case 'COPY_CODE':
      return 1;
    default:
      return 0;
  }
}

export function parameterCounts(components: Component[]): ParameterCounts {
  const header = component(components, 'HEADER');
  const buttons = component(components, 'BUTTONS')?.buttons;
  return {
    header: !header ? 0 : headerFormat(components) ? 1 : countPlaceholders(text(header.text)),
    body: countPlaceholders(text(component(components, 'BODY')?.text)),
    buttons: Array.isArray(buttons) ? buttons.map(buttonCount) : [],
  };
}

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
  template: Pick<TemplateDoc, 'name' | 'parameter_counts'> & { header_format?: string | null },
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
  return template.header_format ? headerMediaMismatch(template, components) : null;
}

/**
 * A media header's parameter must be of the header's format (an IMAGE header takes an image)
 * and give the file by `link` or by uploaded `id`.
 */
function headerMediaMismatch(
  template: Pick<TemplateDoc, 'name'> & { header_format?: string | null },
  components: TemplateComponentInput[],
): string | null {
  const format = template.header_format!;
  const want = format.toLowerCase();
  const i = components.findIndex((c) => c.type === 'header');
  const parameter = components[i]?.parameters?.[0] as Component | undefined;
  if (!parameter) return null;
  const path = `components[${i}].parameters[0]`;
  if (parameter.type !== want) {
    return `${path}.type: template '${template.name}' has ${format === 'IMAGE' ? 'an' : 'a'} ${format} header, which takes ${want}, not ${text(parameter.type) || 'nothing'}`;
  }
  const media = parameter[want] as Component | undefined;
  if (want !== 'location' && !media?.link && !media?.id) {
    return `${path}.${want}: give the file by link or by id (an upload's, POST /api/media)`;
  }
  return null;
}
