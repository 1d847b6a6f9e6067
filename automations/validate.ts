import { resolveAccount } from '../accounts/resolve';
import { toCampaignMessage } from '../campaigns/preflight';
import { MAX_DELAY_MS, parseDuration } from '../lib/duration';
import { DomainError, ValidationError } from '../lib/errors';
import { compileLinear } from '../lib/linear-regex';
import { interactiveProblem } from '../meta/interactive';
import { checkMediaRefs } from '../media/references';
import { parameterMismatch } from '../meta/template-parameters';
import { LINK_EXPIRY_MINUTES } from '../payments/create-link';
import { paymentTermsProblem } from '../payments/currencies';
import type { Store } from '../store';
import { normalizePatch, type ContactPatch } from '../store/contact-fields';
import type {
  AutomationMessage,
  AutomationStep,
  AutomationTrigger,
  Condition,
  NewAutomation,
  ReplyMatch,
} from '../store/contract/automations';
import type { TemplateMessage } from '../store/contract/sequences';
import type { AccountDoc } from '../store/documents';
import { resolveTemplate, templateRefusal } from '../templates/resolve';
import { conditionProblem } from './condition-check';
import { stringsOf, unknownPlaceholders } from './render';
import type {
  AutomationMessageRequest,
  AutomationRequest,
  AutomationStepRequest,
  TemplateMessageRequest,
} from './request';
import { MESSAGE_TRIGGERS } from './match';
import { graphProblem } from './step-graph';

const PLACEHOLDER_HELP =
  'placeholders are {{name}}, {{phone_number}}, {{email}}, {{stage}}, {{username}}, ' +
  '{{user_id}}, {{custom_fields.<key>}}, {{action.<key>}} and {{message.text|type|button|list_reply}}';

interface Scope {
  store: Store;
  orgId: string;
  account: AccountDoc;
  /** Whether runs have a customer message to act on: a message trigger, or a reply waited for. */
  hasMessage: boolean;
}

/** `steps[2] (ask_email)`: how errors name a step. */
const stepName = (steps: readonly { id: string }[], i: number) => `steps[${i}] (${steps[i]!.id})`;

/**
 * The checks an automation passes before it is stored (or edited), and what is stored: the
 * account, templates resolved (their language), durations in ms. Anything wrong is a
 * ValidationError naming the trigger, condition or step (by index and id): ids, targets and
 * loops, templates, placeholders, patterns, what steps and triggers name in the organization,
 * Meta's limits on interactive messages, payment terms, contact fields and tags.
 */
export async function validateAutomation(
  store: Store,
  orgId: string,
  req: AutomationRequest,
): Promise<NewAutomation> {
  if (req.steps.length === 0) throw new ValidationError('steps: give at least one step');
  checkGraph(req.steps);
  const account = await resolveAccount(store, orgId, req.whatsapp_account);
  const hasMessage =
    MESSAGE_TRIGGERS.has(req.trigger.type) || req.steps.some((s) => s.type === 'wait_for_reply');
  const scope: Scope = { store, orgId, account, hasMessage };
  await checkTrigger(scope, req.trigger);
  checkConditions(req.conditions, 'conditions');
  const steps: AutomationStep[] = [];
  for (const i of req.steps.keys()) {
    const where = stepName(req.steps, i);
    steps.push(await named(where, () => checkStep(scope, req.steps[i]!)));
  }
  return {
    name: req.name,
    enabled: req.enabled,
    account_id: account._id,
    priority: req.priority,
    trigger: req.trigger,
    conditions: req.conditions,
    steps,
  };
}

/** Runs a check, prefixing what it refuses with `where`. */
async function named<T>(where: string, check: () => T | Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (err) {
    if (err instanceof DomainError && err.statusCode === 400) {
      throw new ValidationError(`${where}: ${err.message}`, err.code);
    }
    throw err;
  }
}

function checkGraph(steps: AutomationStepRequest[]): void {
  const p = graphProblem(steps);
  if (!p) return;
  const where = stepName(steps, p.index);
  switch (p.kind) {
    case 'duplicate':
      throw new ValidationError(`${where}: the id is already used by steps[${p.first}]`);
    case 'unknown_target':
      throw new ValidationError(`${where}: ${p.field} names no step: '${p.target}'`);
    case 'unreachable':
      throw new ValidationError(`${where}: no path from the first step reaches it`);
    case 'cycle':
      throw new ValidationError(
        `${where}: the steps loop (${p.loop.join(' → ')}); every run must reach an end`,
      );
  }
}

function checkConditions(conditions: Condition[], path: string): void {
  for (const [i, c] of conditions.entries()) {
    const problem = conditionProblem(c, `${path}[${i}]`);
    if (problem) throw new ValidationError(problem);
  }
}

function checkPattern(pattern: string, ignoreCase: boolean, field: string): void {
  try {
    compileLinear(pattern, ignoreCase);
  } catch (err) {
    throw new ValidationError(`${field}: ${(err as Error).message}`);
  }
}

/** Tags and custom field keys as contacts take them. */
function checkContactFields(patch: ContactPatch, field: string): void {
  try {
    normalizePatch(patch);
  } catch (err) {
    if (err instanceof ValidationError) throw new ValidationError(`${field}: ${err.message}`);
    throw err;
  }
}

async function checkTrigger({ store, orgId }: Scope, trigger: AutomationTrigger): Promise<void> {
  switch (trigger.type) {
    case 'pattern':
      return checkPattern(trigger.pattern, trigger.ignore_case, 'trigger.pattern');
    case 'tag_added':
      return checkContactFields({ tags: [trigger.tag] }, 'trigger.tag');
    case 'order_status':
      if (trigger.store_id && !(await store.wooStores.get(orgId, trigger.store_id))) {
        throw new ValidationError(`trigger.store_id: store '${trigger.store_id}' not found`);
      }
      return;
    case 'campaign_reply':
      if (!(await store.campaigns.get(orgId, trigger.campaign_id))) {
        throw new ValidationError(
          `trigger.campaign_id: campaign '${trigger.campaign_id}' not found`,
        );
      }
      return;
    default:
      return;
  }
}

function durationMs(text: string, field: string): number {
  const ms = parseDuration(text);
  if (ms === null || ms <= 0 || ms > MAX_DELAY_MS) {
    throw new ValidationError(`${field}: a duration like 30s, 10m, 2h or 3d (at most 365d)`);
  }
  return ms;
}

function checkPlaceholders(value: unknown, field: string): void {
  const unknown = unknownPlaceholders(stringsOf(value));
  if (unknown.length) {
    throw new ValidationError(`${field}: unknown ${unknown.join(', ')}; ${PLACEHOLDER_HELP}`);
  }
}

async function checkStep(scope: Scope, step: AutomationStepRequest): Promise<AutomationStep> {
  const { store, orgId } = scope;
  switch (step.type) {
    case 'send_message': {
      const message = await checkMessage(scope, step.message, 'message');
      if (step.fallback && message.type === 'template') {
        throw new ValidationError('fallback: a template is sent any time; it needs no fallback');
      }
      const fallback = step.fallback && (await checkTemplate(scope, step.fallback, 'fallback'));
      return { ...step, message, fallback };
    }
    case 'wait_for_reply': {
      const timeout_ms = durationMs(step.timeout, 'timeout');
      for (const [j, b] of step.branches.entries()) checkMatch(b.match, `branches[${j}].match`);
      if (step.save_to) checkContactFields({ custom_fields: { [step.save_to]: '' } }, 'save_to');
      return { ...step, timeout_ms };
    }
    case 'delay':
      return { ...step, duration_ms: durationMs(step.duration, 'duration') };
    case 'condition':
      if (step.conditions.length === 0) {
        throw new ValidationError('conditions: give at least one condition');
      }
      checkConditions(step.conditions, 'conditions');
      return step;
    case 'set_tags':
      checkContactFields({ tags: step.add }, 'add');
      checkContactFields({ tags: step.remove }, 'remove');
      return step;
    case 'set_fields':
      checkContactFields({ custom_fields: step.set }, 'set');
      checkContactFields(
        { custom_fields: Object.fromEntries(step.remove.map((k) => [k, null])) },
        'remove',
      );
      checkPlaceholders(step.set, 'set');
      return step;
    case 'run_action':
      if (!(await store.actions.get(orgId, step.action_id))) {
        throw new ValidationError(`action_id: action '${step.action_id}' not found`);
      }
      return step;
    case 'subscribe_sequence':
    case 'unsubscribe_sequence':
      if (!(await store.sequences.get(orgId, step.sequence_id))) {
        throw new ValidationError(`sequence_id: sequence '${step.sequence_id}' not found`);
      }
      return step;
    case 'send_payment_link': {
      const terms = paymentTermsProblem(step.amount, step.currency, step.gateway);
      if (terms) throw new ValidationError(terms);
      const expires = step.expires_in === null ? null : parseDuration(step.expires_in, ['m', 'h']);
      const minutes = expires === null ? null : expires / 60_000;
      if (
        step.expires_in !== null &&
        (minutes === null || minutes < LINK_EXPIRY_MINUTES.min || minutes > LINK_EXPIRY_MINUTES.max)
      ) {
        throw new ValidationError(
          `expires_in: ${LINK_EXPIRY_MINUTES.min}m to ${LINK_EXPIRY_MINUTES.max / 60}h, like 30m or 24h`,
        );
      }
      return step;
    }
    case 'transfer':
      if (!step.agent_id && !step.team_id) {
        throw new ValidationError('agent_id or team_id is required');
      }
      return step;
    case 'emit_event':
      checkPlaceholders(step.data, 'data');
      return step;
    case 'mark_read':
      if (!scope.hasMessage) {
        throw new ValidationError(
          'mark_read marks a customer message read: it needs a message trigger ' +
            '(keyword, pattern, any_message, button, list_reply, campaign_reply) or a wait_for_reply step',
        );
      }
      return step;
    case 'end':
      return step;
  }
}

function checkMatch(match: ReplyMatch, field: string): void {
  if ('pattern' in match) checkPattern(match.pattern, match.ignore_case, `${field}.pattern`);
  else if ('keywords' in match && match.keywords.length === 0) {
    throw new ValidationError(`${field}.keywords: give at least one keyword`);
  }
}

async function checkMessage(
  scope: Scope,
  message: AutomationMessageRequest,
  field: string,
): Promise<AutomationMessage> {
  if (message.type === 'template') return checkTemplate(scope, message, field);
  checkPlaceholders(message, field);
  if (message.type === 'interactive') {
    const problem = interactiveProblem(message.interactive);
    if (problem) throw new ValidationError(`${field}.${problem}`);
    return { type: 'interactive', interactive: { ...message.interactive } };
  }
  if (message.type === 'contacts') {
    return { type: 'contacts', contacts: message.contacts.map((c) => ({ ...c })) };
  }
  return message;
}

/** The template approved for the account, its parameters given; stored in its own language. */
async function checkTemplate(
  { store, orgId, account }: Scope,
  message: TemplateMessageRequest,
  field: string,
): Promise<TemplateMessage> {
  checkPlaceholders(message.template.components, `${field}.template`);
  const { name, language, components } = message.template;
  const code = typeof language === 'string' ? language : language?.code;
  const r = await resolveTemplate(store, orgId, account._id, name, code);
  if ('refusal' in r) {
    throw new ValidationError(`${field}.template: ${r.message}`, templateRefusal(r).code);
  }
  const mismatch = parameterMismatch(r.template, components);
  if (mismatch) {
    throw new ValidationError(`${field}.template: ${mismatch}`, 'template_parameters_mismatch');
  }
  await checkMediaRefs(store, orgId, 'template', { components }, `${field}.template`);
  return toCampaignMessage(message, r.template.language) as TemplateMessage;
}
