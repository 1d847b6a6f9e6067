import type { NewSequence, SequenceStep } from '../../store/contract/sequences';
import { parseDelay } from '../../lib/duration';

/** A step as the store keeps it, from what the API takes. */
export function step(
  delay: string,
  over: Partial<Omit<SequenceStep, 'delay' | 'delay_ms'>> = {},
): SequenceStep {
  return {
    delay,
    delay_ms: parseDelay(delay)!,
    after: 'previous',
    type: 'anytime',
    message: {
      type: 'template',
      template: { name: 'hello_world', language: 'en_US', components: [] },
    },
    fallback: null,
    ...over,
  };
}

export const textStep = (delay: string, text: string, fallback = false): SequenceStep =>
  step(delay, {
    type: '24h',
    message: { type: 'text', text },
    fallback: fallback
      ? { type: 'template', template: { name: 'fallback', language: 'en_US', components: [] } }
      : null,
  });

export function sequenceInput(over: Partial<NewSequence> = {}): NewSequence {
  return {
    name: 'Onboarding',
    account_id: 'acc-1',
    steps: [step('0m'), step('1d')],
    schedule: null,
    reentry: 'never',
    exit: { tags: [], on_reply: false },
    keywords: [],
    ...over,
  };
}
