import type { CampaignMessageRequest } from '../campaigns/request';
import type { ContactCardRequest, InteractiveRequest } from '../meta/messages';
import type {
  AutomationMessage,
  AutomationStep,
  AutomationTrigger,
  Condition,
  StepType,
} from '../store/contract/automations';

/** A template as the API names it: its language optional (the English variant by default). */
export type TemplateMessageRequest = Omit<
  Extract<CampaignMessageRequest, { type: 'template' }>,
  'action_id'
>;

/** A step's message as asked for: the stored shapes, a template named as campaigns name it. */
export type AutomationMessageRequest =
  | Extract<AutomationMessage, { type: 'text' }>
  | TemplateMessageRequest
  | { type: 'interactive'; interactive: InteractiveRequest }
  | Extract<AutomationMessage, { media: unknown }>
  | Extract<AutomationMessage, { type: 'location' }>
  | { type: 'contacts'; contacts: ContactCardRequest[] };

type StepOf<T extends StepType> = Extract<AutomationStep, { type: T }>;

/** A step as asked for: the stored shape, durations as written (no `*_ms`), templates named. */
export type AutomationStepRequest =
  | (Omit<StepOf<'send_message'>, 'message' | 'fallback'> & {
      message: AutomationMessageRequest;
      fallback: TemplateMessageRequest | null;
    })
  | Omit<StepOf<'wait_for_reply'>, 'timeout_ms'>
  | Omit<StepOf<'delay'>, 'duration_ms'>
  | Exclude<AutomationStep, { type: 'send_message' | 'wait_for_reply' | 'delay' }>;

/** What an automation is created or replaced from. */
export interface AutomationRequest {
  name: string;
  /** A disabled automation starts no runs. */
  enabled: boolean;
  /** The account its messages go from; the organization's default when omitted. */
  whatsapp_account?: string;
  /** When several automations match an input, the highest starts. */
  priority: number;
  trigger: AutomationTrigger;
  /** Every one must hold for a run to start. */
  conditions: Condition[];
  steps: AutomationStepRequest[];
}
