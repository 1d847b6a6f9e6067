import type { TemplateComponentInput } from '../meta/template-parameters';
import type { CampaignAudience } from '../store/documents';

/**
 * A campaign's (or a sequence step's) message as asked for: the template is named, its
 * language optional (the template's English variant by default).
 */
export type CampaignMessageRequest =
  | {
      type: 'template';
      template: {
        name: string;
        language?: string | { code: string };
        components: TemplateComponentInput[];
      };
      action_id?: string;
    }
  | { type: 'text'; text: string; action_id?: string };

/** What creating (or previewing) a campaign takes. */
export interface CampaignRequest {
  name: string;
  /** The account to send from; the organization's default when absent. */
  whatsapp_account?: string;
  audience: CampaignAudience;
  message: CampaignMessageRequest;
  mode?: 'anytime' | '24h';
  /** ISO 8601; now when absent. */
  scheduled_at?: string;
  /** Messages a second, up to the number's own. */
  throughput?: number;
}
