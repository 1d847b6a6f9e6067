import { contactNotFound } from '../contacts/read';
import { requestPhone } from '../contacts/phone';
import { NotFoundError, ValidationError } from '../lib/errors';
import type { Store } from '../store';
import type {
  AutomationDoc,
  InboundFacts,
  RunState,
  RunStepRecord,
} from '../store/contract/automations';
import type { ContactDoc } from '../store/documents';
import type { Sandbox } from '../vm/types';
import { allHold } from './conditions';
import { createDryEffects } from './dry-effects';
import { newRun } from './engine';
import { advance, type Advanced, type Resume } from './executor';
import type { RouteInput } from './inputs';
import { MESSAGE_TRIGGERS, triggerFits } from './match';

/** A customer message in a test: its text, or the button or list row it taps. */
export interface TestMessage {
  text?: string;
  button?: string;
  list_reply?: string;
}

export interface AutomationTestRequest {
  contact_id?: string;
  phone_number?: string;
  default_country?: string;
  /** The message that would start the run (message triggers are matched against it). */
  message: TestMessage;
  /** What the customer does at each wait, in order: a message, or letting it time out. */
  replies?: (TestMessage | { timeout: true })[];
}

export interface AutomationTestResult {
  /** Whether the trigger and the conditions let a run start. */
  matched: boolean;
  /** Why no run would start, or why it stops where it does. */
  reason: string | null;
  /** Where the run would be after the given replies. */
  state: RunState | null;
  waiting: { step: string; kind: 'reply' | 'delay'; until: string } | null;
  path: RunStepRecord[];
  /** The messages it would send, in order, as Meta would get them. */
  messages: { step: string; type: string; content: Record<string, unknown> }[];
}

function facts(m: TestMessage, at: Date, n: number): InboundFacts {
  return {
    message_id: `in:test-${n}`,
    type: m.button ? 'button' : m.list_reply ? 'interactive' : 'text',
    text: m.text ?? null,
    button: m.button ?? null,
    list_reply: m.list_reply ?? null,
    at,
  };
}

async function contactOf(store: Store, orgId: string, req: AutomationTestRequest) {
  if (req.contact_id) {
    const c = await store.contacts.get(orgId, req.contact_id);
    if (!c) throw contactNotFound(req.contact_id);
    return c;
  }
  if (!req.phone_number) throw new ValidationError('give contact_id or phone_number');
  const phone = await requestPhone(
    store,
    orgId,
    req.phone_number,
    'phone_number',
    req.default_country,
  );
  const c = await store.contacts.findByPhone(orgId, phone);
  if (!c) throw new NotFoundError(`No contact has phone number ${phone}`);
  return c;
}

/**
 * What a run of the automation would do for the contact and message, and at each reply given:
 * its path and the messages it would send. Nothing is written, sent or recorded; custom
 * actions run in the sandbox (their results steer branches) but their runs are not recorded.
 */
export async function testAutomation(
  deps: { store: Store; sandbox: Sandbox },
  orgId: string,
  automationId: string,
  req: AutomationTestRequest,
  at = new Date(),
): Promise<AutomationTestResult> {
  const automation: AutomationDoc | null = await deps.store.automations.get(orgId, automationId);
  if (!automation) throw new NotFoundError(`Automation '${automationId}' not found`);
  const contact: ContactDoc = await contactOf(deps.store, orgId, req);
  const message = facts(req.message, at, 0);
  const input: RouteInput = {
    id: 'test',
    orgId,
    contactId: contact._id,
    at,
    kind: 'message',
    message,
  };
  const result: AutomationTestResult = {
    matched: false,
    reason: null,
    state: null,
    waiting: null,
    path: [],
    messages: [],
  };
  if (MESSAGE_TRIGGERS.has(automation.trigger.type)) {
    const sentAt = (campaignId: string) =>
      deps.store.messages.lastSentAt(orgId, contact._id, 'campaign', campaignId);
    if (!(await triggerFits(automation.trigger, input, sentAt))) {
      return {
        ...result,
        reason: `the message does not fit the ${automation.trigger.type} trigger`,
      };
    }
  }
  if (!allHold(automation.conditions, { contact, action: {}, message }, at)) {
    return { ...result, reason: 'the automation’s conditions do not hold for the contact' };
  }
  const effects = createDryEffects(deps);
  let state: Advanced = { run: newRun(automation, input, at), contact };
  state = await advance(effects, automation, state, { kind: 'start' }, at);
  // Delays pass at once; each wait for a reply takes the next reply given, if any.
  const replies = [...(req.replies ?? [])];
  for (let n = 1; state.run.state === 'waiting' && state.run.wait; n++) {
    const wait = state.run.wait;
    const reply = wait.kind === 'delay' ? { timeout: true as const } : replies.shift();
    if (!reply) break;
    const resume: Resume =
      'timeout' in reply
        ? { kind: 'timeout' }
        : { kind: 'reply', message: facts(reply, new Date(wait.since.getTime() + 1), n) };
    const when = 'timeout' in reply ? wait.until : new Date(wait.since.getTime() + 1);
    state = await advance(effects, automation, state, resume, when);
  }
  const { run } = state;
  return {
    matched: true,
    reason: run.state === 'failed' ? run.end_reason : null,
    state: run.state,
    waiting: run.wait && {
      step: run.wait.step,
      kind: run.wait.kind,
      until: run.wait.until.toISOString(),
    },
    path: run.path,
    messages: run.path.flatMap((p) =>
      p.type === 'send_message' && p.detail && typeof p.detail.content === 'object'
        ? [
            {
              step: p.step,
              type: String(p.detail.type),
              content: p.detail.content as Record<string, unknown>,
            },
          ]
        : [],
    ),
  };
}
