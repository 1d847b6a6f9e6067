import type { EffectStep, StepEffects, StepResult, StepScope } from './effects';
import { previewContact } from './effects/contact';
import type { DryEffectDeps } from './effects/deps';
import { previewEvent } from './effects/emit-event';
import { previewMarkRead } from './effects/mark-read';
import { previewPaymentLink } from './effects/payment-link';
import { tryAction } from './effects/run-action';
import { previewMessage } from './effects/send-message';
import { previewSequence } from './effects/sequences';
import { previewTransfer } from './effects/transfer';

export type { DryEffectDeps } from './effects/deps';

/**
 * The steps' outcomes as a run would have them, changing nothing: no message queued, no
 * contact written, no action run recorded, no event, no read receipt. Actions do run, in the sandbox, since
 * later branches read their values. For `POST /api/automations/:id/test`.
 */
export function createDryEffects(deps: DryEffectDeps): StepEffects {
  return {
    async run(scope: StepScope, step: EffectStep): Promise<StepResult> {
      switch (step.type) {
        case 'send_message':
          return previewMessage(deps, scope, step);
        case 'set_tags':
        case 'set_fields':
          return previewContact(scope, step);
        case 'run_action':
          return tryAction(deps, scope, step);
        case 'subscribe_sequence':
        case 'unsubscribe_sequence':
          return previewSequence(deps.store, scope, step);
        case 'send_payment_link':
          return previewPaymentLink(scope, step);
        case 'transfer':
          return previewTransfer(scope, step);
        case 'emit_event':
          return previewEvent(scope, step);
        case 'mark_read':
          return previewMarkRead(deps.store, scope, step);
      }
    },
  };
}
