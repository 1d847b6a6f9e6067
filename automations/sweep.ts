import type { Store } from '../store';
import type { EventDoc } from '../store/documents';
import { timeoutSeq, type AutomationEngine } from './engine';
import { INPUT_EVENT_TYPES, inputsOf } from './inputs';

/** The live path has this long to route an input before the sweep takes it as left behind. */
export const LEFT_BEHIND_MS = 60_000;
/** A wait overdue by this much has lost its timer (Temporal was unreachable when it was armed). */
export const TIMER_LOST_MS = 5 * 60_000;
const FIRST_SWEEP_MS = 60 * 60_000;
const OVERLAP_MS = 2 * 60_000;
const PAGE = 500;

export interface AutomationSweep {
  routed: number;
  resumed: number;
  timedOut: number;
}

/**
 * What the live path left: events recorded but never routed (their process died first),
 * decisions recorded but not carried out, waits whose timer was never armed, and timeouts cut
 * off halfway.
 */
export async function sweepAutomations(
  deps: { store: Store; engine: AutomationEngine; optOutWords: string[] },
  now = new Date(),
): Promise<AutomationSweep> {
  const { store, engine } = deps;
  const result: AutomationSweep = { routed: 0, resumed: 0, timedOut: 0 };
  const last = await store.automationInputs.sweptThrough();
  const from = new Date(last ? last.getTime() - OVERLAP_MS : now.getTime() - FIRST_SWEEP_MS);
  const to = new Date(now.getTime() - LEFT_BEHIND_MS);
  let after: EventDoc | undefined;
  while (from < to) {
    const page = await store.events.recordedBetween(from, to, PAGE, after);
    if (!page.length) break;
    after = page[page.length - 1];
    const relevant = page.filter((e) => INPUT_EVENT_TYPES.has(e.type));
    const unseen = new Set(await store.automationInputs.unseen(relevant.map((e) => e._id)));
    const inputs = inputsOf(
      relevant.filter((e) => unseen.has(e._id)),
      deps.optOutWords,
    );
    await engine.route(inputs);
    result.routed += inputs.length;
    if (page.length < PAGE) break;
  }
  if (from < to) await store.automationInputs.setSweptThrough(to);

  for (const doc of await store.automationInputs.undone(to, PAGE)) {
    const event = await store.events.get(doc._id);
    // Inputs without an event (WooCommerce statuses) are routed again by their own activity.
    const [input] = event ? inputsOf([event], deps.optOutWords) : [];
    if (!input) continue;
    await engine.resume(doc, input);
    result.resumed++;
  }

  const lost = new Date(now.getTime() - TIMER_LOST_MS);
  for (const run of await store.automationRuns.overdue(lost, PAGE)) {
    if (!run.wait) continue;
    await engine.timeout(run._id, run.wait.seq, { arm: true });
    result.timedOut++;
  }
  // A timeout carried out here whose process died halfway: taken again by the same input.
  for (const run of await store.automationRuns.stalled(lost, PAGE)) {
    const seq = timeoutSeq(run.last_input);
    if (seq === null) continue;
    await engine.timeout(run._id, seq, { arm: true });
    result.timedOut++;
  }
  return result;
}
