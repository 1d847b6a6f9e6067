import { assertConnected, resolveAccount } from '../accounts/resolve';
import { NotFoundError, ValidationError } from '../lib/errors';
import type { Store } from '../store';
import { sendableTemplate } from '../templates/resolve';
import type { AccountDoc, CampaignDoc, CampaignMessage } from '../store/documents';
import { placeholderProblems } from './message';
import { checkMediaRefs } from '../media/references';
import { parameterMismatch } from '../meta/template-parameters';
import type { CampaignMessageRequest, CampaignRequest } from './request';

export interface CampaignPlan {
  account: AccountDoc;
  message: CampaignMessage;
  mode: CampaignDoc['mode'];
  audienceSize: number;
}

const PLACEHOLDER_HELP =
  'placeholders are {{name}}, {{phone_number}}, {{email}}, {{stage}}, {{custom_fields.<key>}} ' +
  'and, with an action_id, {{action.<key>}}';

/**
 * The checks a campaign passes before anything is created: the account can send, the template
 * is approved and given its parameters, the placeholders are known, and the audience matches
 * someone. Each failure names the problem (a 400; a template or action not found, a 404).
 */
export async function preflight(
  store: Store,
  orgId: string,
  req: CampaignRequest,
): Promise<CampaignPlan> {
  const problems = placeholderProblems(toCampaignMessage(req.message, ''));
  if (problems.length)
    throw new ValidationError(`message: ${problems.join(', ')}; ${PLACEHOLDER_HELP}`);

  if (req.message.action_id && !(await store.actions.get(orgId, req.message.action_id))) {
    throw new NotFoundError(`Action '${req.message.action_id}' not found`);
  }

  const account = await resolveAccount(store, orgId, req.whatsapp_account);
  assertConnected(account);
  if (req.throughput !== undefined && req.throughput > account.throughput) {
    throw new ValidationError(
      `throughput: at most ${account.throughput} messages per second, the number's own`,
    );
  }

  let language = '';
  if (req.message.type === 'template') {
    const { name, language: asked, components } = req.message.template;
    const code = typeof asked === 'string' ? asked : asked?.code;
    const template = await sendableTemplate(store, orgId, account._id, name, code);
    const mismatch = parameterMismatch(template, components);
    if (mismatch) throw new ValidationError(mismatch, 'template_parameters_mismatch');
    await checkMediaRefs(store, orgId, 'template', { components }, 'message.template');
    language = template.language;
  }

  const audienceSize = await store.campaigns.audienceSize(orgId, req.audience);
  if (audienceSize === 0) {
    throw new ValidationError('audience: matches no opted-in contact', 'empty_audience');
  }
  return {
    account,
    message: toCampaignMessage(req.message, language),
    mode: req.mode ?? (req.message.type === 'text' ? '24h' : 'anytime'),
    audienceSize,
  };
}

/** The stored message: the template's own language, button indexes as Meta wants them. */
export function toCampaignMessage(m: CampaignMessageRequest, language: string): CampaignMessage {
  const action = m.action_id ? { action_id: m.action_id } : {};
  if (m.type === 'text') return { type: 'text', text: m.text, ...action };
  return {
    ...action,
    type: 'template',
    template: {
      name: m.template.name,
      language,
      components: m.template.components.map((c) =>
        c.index === undefined ? { ...c } : { ...c, index: String(c.index) },
      ),
    },
  };
}
