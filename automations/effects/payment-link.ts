import { parseDuration } from '../../lib/duration';
import {
  createPaymentLink,
  DEFAULT_EXPIRES_IN_MINUTES,
  type CreatePaymentLinkRequest,
} from '../../payments/create-link';
import { StepFailure, type EffectStep, type StepResult, type StepScope } from '../effects';
import { renderText } from '../render';
import type { EffectDeps } from './deps';
import { refusalsFail, runScope, stepKey } from './scope';

type LinkStep = Extract<EffectStep, { type: 'send_payment_link' }>;

/** The payment link request the step makes, to the run's contact from the automation's number. */
function linkRequest(scope: StepScope, step: LinkStep): CreatePaymentLinkRequest {
  const ms = step.expires_in === null ? null : parseDuration(step.expires_in);
  if (ms === null && step.expires_in !== null) {
    throw new StepFailure(`expires_in: '${step.expires_in}' is not a duration`);
  }
  return {
    contact_id: scope.contact._id,
    amount: step.amount,
    currency: step.currency,
    description: renderText(step.description, runScope(scope)),
    ...(step.gateway ? { gateway: step.gateway } : {}),
    expires_in_minutes: ms === null ? DEFAULT_EXPIRES_IN_MINUTES : Math.round(ms / 60_000),
    whatsapp_account: scope.def.account_id,
  };
}

/**
 * Creates the link (its workflow creates it at the gateway and sends it), under an
 * idempotency key of the run and step: the step tried again finds the same link.
 */
export async function sendPaymentLink(
  deps: EffectDeps,
  scope: StepScope,
  step: LinkStep,
): Promise<StepResult> {
  const body = linkRequest(scope, step);
  const link = await refusalsFail(() =>
    createPaymentLink(deps, scope.run.org_id, body, stepKey(scope, step)),
  );
  return { outcome: 'created', detail: { payment_link_id: link._id, url: link.url } };
}

export function previewPaymentLink(scope: StepScope, step: LinkStep): StepResult {
  const { amount, currency, description, expires_in_minutes } = linkRequest(scope, step);
  return {
    outcome: 'created',
    detail: {
      would: 'send_payment_link',
      amount,
      currency,
      description,
      gateway: step.gateway,
      expires_in_minutes,
    },
  };
}
