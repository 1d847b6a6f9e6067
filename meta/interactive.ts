import type { InteractiveRequest } from './messages';

/** Meta's limits on interactive messages (reply buttons, lists, CTA URL and Flow buttons). */
export const INTERACTIVE_LIMITS = {
  buttons: 3,
  buttonTitle: 20,
  buttonId: 256,
  rows: 10,
  rowTitle: 24,
  rowId: 200,
  rowDescription: 72,
  sections: 10,
  sectionTitle: 24,
  listButton: 20,
  /** A list's body; every other kind's is `body`. */
  listBody: 4096,
  body: 1024,
  headerText: 60,
  footer: 60,
  ctaDisplayText: 20,
  flowCta: 20,
} as const;

const duplicate = (ids: string[]) => ids.find((id, i) => ids.indexOf(id) !== i);

/**
 * What in an interactive message Meta would refuse, or null: counts, lengths and the rules
 * the API's schema cannot state alone (unique ids, section titles, header kinds).
 */
export function interactiveProblem(interactive: InteractiveRequest): string | null {
  const L = INTERACTIVE_LIMITS;
  const bodyMax = interactive.type === 'list' ? L.listBody : L.body;
  if (interactive.body.text.length > bodyMax) {
    return `interactive.body.text: at most ${bodyMax} characters`;
  }
  if (interactive.footer && interactive.footer.text.length > L.footer) {
    return `interactive.footer.text: at most ${L.footer} characters`;
  }
  const header = 'header' in interactive ? interactive.header : undefined;
  if (header?.type === 'text') {
    const text = header.text;
    if (typeof text !== 'string' || text.length < 1 || text.length > L.headerText) {
      return `interactive.header.text: 1 to ${L.headerText} characters`;
    }
  }
  switch (interactive.type) {
    case 'button':
      return buttonsProblem(interactive.action.buttons);
    case 'list':
      if (header && header.type !== 'text') {
        return 'interactive.header.type: a list takes a text header only';
      }
      return listProblem(interactive.action.sections);
    case 'cta_url': {
      const { display_text, url } = interactive.action.parameters;
      if (display_text.length < 1 || display_text.length > L.ctaDisplayText) {
        return `interactive.action.parameters.display_text: 1 to ${L.ctaDisplayText} characters`;
      }
      return /^https?:\/\/\S+$/.test(url)
        ? null
        : 'interactive.action.parameters.url: an http(s) URL';
    }
    case 'flow': {
      const p = interactive.action.parameters;
      if ((p.flow_id === undefined) === (p.flow_name === undefined)) {
        return 'interactive.action.parameters: give exactly one of flow_id or flow_name';
      }
      if ((p.flow_action ?? 'navigate') === 'navigate' && !p.flow_action_payload) {
        return 'interactive.action.parameters.flow_action_payload: required to navigate';
      }
      if (p.flow_action === 'data_exchange' && p.flow_action_payload) {
        return 'interactive.action.parameters.flow_action_payload: only with flow_action navigate';
      }
      return null;
    }
    default:
      return null;
  }
}

function buttonsProblem(buttons: { reply: { id: string; title: string } }[]): string | null {
  const L = INTERACTIVE_LIMITS;
  if (buttons.length < 1 || buttons.length > L.buttons) {
    return `interactive: 1 to ${L.buttons} reply buttons, not ${buttons.length}`;
  }
  const long = buttons.find((b) => b.reply.title.length > L.buttonTitle);
  if (long) {
    return `interactive: the button title '${long.reply.title}' is longer than ${L.buttonTitle} characters`;
  }
  const twice = duplicate(buttons.map((b) => b.reply.id));
  return twice === undefined ? null : `interactive: the button id '${twice}' is used twice`;
}

function listProblem(
  sections: { title?: string; rows: { id: string; title: string }[] }[],
): string | null {
  const L = INTERACTIVE_LIMITS;
  const rows = sections.flatMap((s) => s.rows);
  if (sections.length < 1 || sections.length > L.sections) {
    return `interactive: 1 to ${L.sections} sections`;
  }
  if (sections.length > 1 && sections.some((s) => !s.title)) {
    return 'interactive: every section needs a title when there are several';
  }
  if (rows.length < 1 || rows.length > L.rows) {
    return `interactive: 1 to ${L.rows} list rows in all sections together, not ${rows.length}`;
  }
  const long = rows.find((r) => r.title.length > L.rowTitle);
  if (long) {
    return `interactive: the row title '${long.title}' is longer than ${L.rowTitle} characters`;
  }
  const twice = duplicate(rows.map((r) => r.id));
  return twice === undefined ? null : `interactive: the row id '${twice}' is used twice`;
}
