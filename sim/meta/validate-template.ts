import {
  array,
  checkMedia,
  fail,
  name,
  object,
  oneOf,
  string,
  type Obj,
  type Path,
} from './checks';

export interface TemplateComponentSend {
  type: string;
  subType: string | null;
  index: number | null;
  parameters: Obj[];
}

export interface TemplateSend {
  name: string;
  language: string;
  components: TemplateComponentSend[];
}

/** Checks the shape of a template send; whether it matches the template is templates.ts's job. */
export function checkTemplate(o: Obj): TemplateSend {
  const path = ['template'];
  const templateName = string(o.name, [...path, 'name'], { max: 512 });
  const language = object(o.language, [...path, 'language']);
  const code = string(language.code, [...path, 'language', 'code']);
  const components =
    o.components === undefined ? [] : array(o.components, [...path, 'components'], 0, 20);
  return {
    name: templateName,
    language: code,
    components: components.map((c, i) => checkTemplateComponent(c, [...path, 'components', i])),
  };
}

function checkTemplateComponent(c: unknown, path: Path): TemplateComponentSend {
  const component = object(c, path);
  const type = oneOf(component.type, [...path, 'type'], [
    'header',
    'body',
    'button',
    'carousel',
    'limited_time_offer',
  ] as const);
  let subType: string | null = null;
  let index: number | null = null;
  if (type === 'button') {
    subType = oneOf(component.sub_type, [...path, 'sub_type'], [
      'url',
      'quick_reply',
      'copy_code',
      'flow',
      'catalog',
      'voice_call',
    ] as const);
    const raw = component.index;
    index =
      typeof raw === 'number'
        ? raw
        : typeof raw === 'string' && /^\d+$/.test(raw)
          ? Number(raw)
          : NaN;
    if (!Number.isInteger(index) || index < 0 || index > 9)
      fail(`The parameter ${name([...path, 'index'])} must be a button index from 0 to 9.`);
  }
  const parameters = (
    component.parameters === undefined
      ? []
      : array(component.parameters, [...path, 'parameters'], 0, 100)
  ).map((p, i) => {
    const pp = [...path, 'parameters', i];
    const parameter = object(p, pp);
    const kind = string(parameter.type, [...pp, 'type']);
    if (kind === 'text') string(parameter.text, [...pp, 'text'], { max: 32768 });
    if (kind === 'payload') string(parameter.payload, [...pp, 'payload']);
    if (['image', 'video', 'document'].includes(kind))
      checkMedia(true)(object(parameter[kind], [...pp, kind]), [...pp, kind]);
    return parameter;
  });
  return { type, subType, index, parameters };
}
