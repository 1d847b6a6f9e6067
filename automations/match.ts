import { isKeyword } from '../lib/keywords';
import { compileLinear, testLinear } from '../lib/linear-regex';
import type { AutomationTrigger, InboundFacts, ReplyMatch } from '../store/contract/automations';
import type { RouteInput } from './inputs';

const compiled = new Map<string, RegExp>();

/** Whether the text fits the pattern; patterns are checked when an automation is saved. */
/** Triggers a customer message fits: their runs start with that message in their context. */
export const MESSAGE_TRIGGERS: ReadonlySet<AutomationTrigger['type']> = new Set([
  'keyword',
  'pattern',
  'any_message',
  'button',
  'list_reply',
  'campaign_reply',
]);

export function fitsPattern(pattern: string, ignoreCase: boolean, text: string | null): boolean {
  if (text === null) return false;
  let re = compiled.get(pattern);
  if (!re) {
    re = compileLinear(pattern, ignoreCase);
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(pattern, re);
  }
  return testLinear(re, text, ignoreCase);
}

/** Customer messages that say something: a reaction to a message is not one. */
const saysSomething = (m: InboundFacts) => m.type !== 'reaction';

/**
 * Whether the input fits the trigger. `campaign_reply` also needs the campaign's last send to
 * the contact, which the caller looks up (`sentAt`) only for triggers that get that far.
 */
export async function triggerFits(
  trigger: AutomationTrigger,
  input: RouteInput,
  sentAt: (campaignId: string) => Promise<Date | null>,
): Promise<boolean> {
  switch (trigger.type) {
    case 'contact_created':
      return input.kind === 'contact_created';
    case 'tag_added':
      return input.kind === 'tags_added' && input.tags.includes(trigger.tag);
    case 'order_status':
      return (
        input.kind === 'order_status' &&
        trigger.statuses.includes(input.status) &&
        (trigger.store_id === null || trigger.store_id === input.storeId)
      );
    case 'payment_link':
      return input.kind === 'payment_link' && trigger.outcomes.includes(input.outcome);
    default:
  }
  if (input.kind !== 'message') return false;
  const m = input.message;
  switch (trigger.type) {
    case 'keyword':
      return isKeyword(m.text, trigger.keywords);
    case 'pattern':
      return saysSomething(m) && fitsPattern(trigger.pattern, trigger.ignore_case, m.text);
    case 'any_message':
      return saysSomething(m);
    case 'button':
      return m.button !== null && (!trigger.payloads.length || trigger.payloads.includes(m.button));
    case 'list_reply':
      return m.list_reply !== null && (!trigger.ids.length || trigger.ids.includes(m.list_reply));
    case 'campaign_reply': {
      if (!saysSomething(m)) return false;
      const sent = await sentAt(trigger.campaign_id);
      return sent !== null && m.at.getTime() - sent.getTime() <= trigger.within_hours * 3_600_000;
    }
  }
}

/** Whether a reply fits a wait_for_reply branch: a button (or list row) id, keywords, a pattern. */
export function replyFits(match: ReplyMatch, reply: InboundFacts): boolean {
  if ('button' in match) return reply.button === match.button || reply.list_reply === match.button;
  if ('keywords' in match) return isKeyword(reply.text, match.keywords);
  return fitsPattern(match.pattern, match.ignore_case, reply.text);
}
