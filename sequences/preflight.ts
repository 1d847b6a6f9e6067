import { resolveAccount } from '../accounts/resolve';
import { NotFoundError, ValidationError } from '../lib/errors';
import { parseDelay } from '../lib/duration';
import { placeholderProblems } from '../campaigns/message';
import { toCampaignMessage } from '../campaigns/preflight';
import { parameterMismatch } from '../meta/template-parameters';
import { checkMediaRefs } from '../media/references';
import type { Store } from '../store';
import type { AccountDoc, CampaignMessage } from '../store/documents';
import type { NewSequence, SequenceStep, TemplateMessage } from '../store/contract/sequences';
import { sendableTemplate } from '../templates/resolve';
import type { SequenceRequest, StepMessageRequest } from './request';

const PLACEHOLDER_HELP =
  'placeholders are {{name}}, {{phone_number}}, {{email}}, {{stage}}, {{custom_fields.<key>}} ' +
  'and, with an action_id, {{action.<key>}}';

/**
 * The checks a sequence passes before it is stored (or edited): the account can send, every
 * template is approved and given its parameters, every placeholder is known. Each failure names
 * the step (a 400; a template or action not found, a 404).
 */
export async function sequencePlan(
  store: Store,
  orgId: string,
  req: SequenceRequest,
): Promise<NewSequence> {
  const account = await resolveAccount(store, orgId, req.whatsapp_account);
  const steps: SequenceStep[] = [];
  for (const [i, s] of req.steps.entries()) {
    const message = await checked(store, orgId, account, s.message, `steps.${i}.message`);
    const fallback = s.fallback
      ? ((await checked(
          store,
          orgId,
          account,
          s.fallback,
          `steps.${i}.fallback`,
        )) as TemplateMessage)
      : null;
    steps.push({
      delay: s.delay.trim(),
      delay_ms: parseDelay(s.delay)!,
      after: s.after,
      type: s.type,
      message,
      fallback,
    });
  }
  return {
    name: req.name,
    account_id: account._id,
    steps,
    schedule: req.schedule,
    reentry: req.reentry,
    exit: req.exit,
    keywords: req.keywords,
  };
}

async function checked(
  store: Store,
  orgId: string,
  account: AccountDoc,
  m: StepMessageRequest,
  path: string,
): Promise<CampaignMessage> {
  const problems = placeholderProblems(toCampaignMessage(m, ''));
  if (problems.length)
    throw new ValidationError(`${path}: ${problems.join(', ')}; ${PLACEHOLDER_HELP}`);
  if (m.action_id && !(await store.actions.get(orgId, m.action_id))) {
    throw new NotFoundError(`${path}.action_id: action '${m.action_id}' not found`);
  }
  if (m.type === 'text') return toCampaignMessage(m, '');
  const { name, language: asked, components } = m.template;
  const code = typeof asked === 'string' ? asked : asked?.code;
  const template = await sendableTemplate(store, orgId, account._id, name, code, path);
  const mismatch = parameterMismatch(template, components);
  if (mismatch) throw new ValidationError(`${path}: ${mismatch}`, 'template_parameters_mismatch');
  await checkMediaRefs(store, orgId, 'template', { components }, `${path}.template`);
  return toCampaignMessage(m, template.language);
}
