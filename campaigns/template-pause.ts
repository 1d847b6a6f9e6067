import { ConflictError } from '../lib/errors';
import type { TemplateDoc } from '../store/documents';
import { control, type ControlCampaignDeps } from './control';

/**
 * Pauses every running campaign that sends one of these templates (from its account), saying
 * why; they are resumed by the user. A campaign that is already paused or has finished
 * meanwhile is left as it is. Returns the ids of the campaigns paused.
 */
export async function pauseCampaignsForTemplates(
  deps: ControlCampaignDeps,
  templates: TemplateDoc[],
  why: (template: TemplateDoc) => string,
): Promise<string[]> {
  if (!templates.length) return [];
  const running = await deps.store.campaigns.running([
    ...new Set(templates.map((t) => t.account_id)),
  ]);
  const paused: string[] = [];
  for (const campaign of running) {
    const m = campaign.message;
    const template = templates.find(
      (t) =>
        m.type === 'template' &&
        t.account_id === campaign.account_id &&
        t.name === m.template.name &&
        t.language === m.template.language,
    );
    if (!template) continue;
    try {
      await control(deps, campaign, 'pause', { code: 'template', message: why(template) });
      paused.push(campaign._id);
    } catch (err) {
      // Paused by hand or finished since it was read: nothing to do.
      if (!(err instanceof ConflictError)) throw err;
    }
  }
  return paused;
}
