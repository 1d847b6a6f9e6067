import { mapStrings } from '../../lib/map-strings';
import { eventDoc } from '../../store/events';
import type { OutboxEvent } from '../../store/documents';
import type { EffectStep, StepResult, StepScope } from '../effects';
import { renderText } from '../render';
import type { EffectDeps } from './deps';
import { runScope } from './scope';

type EventStep = Extract<EffectStep, { type: 'emit_event' }>;

/** The `automation.event` the step records: its id is the run's and step's, so it is one. */
function eventOf(scope: StepScope, step: EventStep): OutboxEvent {
  const { run, contact, at } = scope;
  const filled = mapStrings(step.data, (s) => renderText(s, runScope(scope)));
  return {
    id: `automation.event:${run._id}:${step.id}`,
    type: 'automation.event',
    timestamp: at,
    data: {
      automation_id: run.automation_id,
      run_id: run._id,
      contact_id: contact._id,
      name: step.name,
      data: filled,
    },
  };
}

/** Records the event; outbound webhooks deliver it to the endpoints subscribed to it. */
export async function emitEvent(
  { store }: EffectDeps,
  scope: StepScope,
  step: EventStep,
): Promise<StepResult> {
  const event = eventOf(scope, step);
  await store.events.recordMany([eventDoc(scope.run.org_id, event)]);
  return { outcome: 'emitted', detail: { event_id: event.id } };
}

export function previewEvent(scope: StepScope, step: EventStep): StepResult {
  const { type, data } = eventOf(scope, step);
  return { outcome: 'emitted', detail: { would: 'emit_event', type, data } };
}
