import type { InteractiveRequest } from './messages';

/** Meta's limits on interactive messages' reply buttons and lists. */
export const INTERACTIVE_LIMITS = {
  buttons: 3,
  buttonTitle: 20,
  rows: 10,
  rowTitle: 24,
  sections: 10,
} as const;

const duplicate = (ids: string[]) => ids.find((id, i) => ids.indexOf(id) !== i);

/** What in an interactive message Meta would refuse, or null. */
export function interactiveProblem(interactive: InteractiveRequest): string | null {
  const L = INTERACTIVE_LIMITS;
  if (interactive.type === 'button') {
    const buttons = interactive.action.buttons;
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
  const sections = interactive.action.sections;
  const rows = sections.flatMap((s) => s.rows);
  if (sections.length > L.sections) return `interactive: at most ${L.sections} sections`;
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
