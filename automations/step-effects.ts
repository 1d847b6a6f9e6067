import type { EffectStep, StepEffects, StepResult, StepScope } from './effects';
import { changeContact } from './effects/contact';
import type { EffectDeps } from './effects/deps';
import { emitEvent } from './effects/emit-event';
import { markRead } from './effects/mark-read';
import { sendPaymentLink } from './effects/payment-link';
import { runAction } from './effects/run-action';
import { sendMessage } from './effects/send-message';
import { subscribeSequence, unsubscribeSequence } from './effects/sequences';
import { transfer } from './effects/transfer';

export type { EffectDeps } from './effects/deps';

/**
 * The steps' effects on the world: messages queued, contacts changed, actions run and
 * recorded, sequences, payment links, transfers, events and read receipts. Each is done once per run and
 * step, however often the step is tried.
 */
export function createStepEffects(deps: EffectDeps): StepEffects {
  return {
    run(scope: StepScope, step: EffectStep): Promise<StepResult> {
      switch (step.type) {
        case 'send_message':
          return sendMessage(deps, scope, step);
        case 'set_tags':
        case 'set_fields':
          return changeContact(deps, scope, step);
        case 'run_action':
          return runAction(deps, scope, step);
        case 'subscribe_sequence':
          return subscribeSequence(deps, scope, step);
        case 'unsubscribe_sequence':
          return unsubscribeSequence(deps, scope, step);
        case 'send_payment_link':
          return sendPaymentLink(deps, scope, step);
        case 'transfer':
          return transfer(deps, scope, step);
        case 'emit_event':
          return emitEvent(deps, scope, step);
        case 'mark_read':
          return markRead(deps, scope, step);
      }
    },
  };
}
