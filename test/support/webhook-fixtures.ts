import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { WorkflowHandle } from '@temporalio/client';
import type { Answer, ReceivedWebhook, WebhookReceiver } from './webhook-receiver';

/** A protobuf Timestamp or Duration as decoded by the client (seconds may be a Long). */
interface ProtoTime {
  seconds?: number | { toNumber(): number } | null;
  nanos?: number | null;
}

export function protoMs(t: ProtoTime | null | undefined): number {
  if (!t) throw new Error('missing protobuf time');
  const s = t.seconds ?? 0;
  return (typeof s === 'number' ? s : s.toNumber()) * 1000 + (t.nanos ?? 0) / 1e6;
}

/** What a delivery workflow's history says about its schedule, in workflow (server) time. */
export interface DeliverySchedule {
  /** Each timer's duration, in the order started. */
  timersMs: number[];
  /** When each local activity (attempt) was recorded, from the workflow's start. */
  attemptsAtMs: number[];
  /** When each timer fired, from the workflow's start. */
  firedAtMs: number[];
}

export async function deliverySchedule(handle: WorkflowHandle): Promise<DeliverySchedule> {
  const events = (await handle.fetchHistory()).events ?? [];
  const startedAt = protoMs(events[0]?.eventTime);
  const offsets = (pick: (e: (typeof events)[number]) => unknown) =>
    events.filter(pick).map((e) => protoMs(e.eventTime) - startedAt);
  return {
    timersMs: events
      .filter((e) => e.timerStartedEventAttributes)
      .map((e) => protoMs(e.timerStartedEventAttributes?.startToFireTimeout)),
    attemptsAtMs: offsets((e) => e.markerRecordedEventAttributes),
    firedAtMs: offsets((e) => e.timerFiredEventAttributes),
  };
}

/** Resolves once the workflow has started `count` timers (it is asleep until one fires). */
export async function waitForTimers(
  handle: WorkflowHandle,
  count = 1,
  timeoutMs = 15_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { events } = await handle.fetchHistory();
    if ((events ?? []).filter((e) => e.timerStartedEventAttributes).length >= count) return;
    if (Date.now() > until) throw new Error(`no ${count} timer(s) started within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Answers the requests for one event in turn; the last answer repeats. */
export function answerInTurn(receiver: WebhookReceiver, eventId: string, answers: Answer[]): void {
  let n = 0;
  receiver.answer((req) => {
    if (req.headers['x-webhook-id'] !== eventId) return { status: 200 };
    return answers[Math.min(n++, answers.length - 1)]!;
  });
}

export function postsOf(receiver: WebhookReceiver, eventId: string): ReceivedWebhook[] {
  return receiver.received.filter((r) => r.headers['x-webhook-id'] === eventId);
}

/** As receivers check it: `hmac.new(secret.encode(), body, sha256).hexdigest()`. */
export function plainSignature(secret: string, body: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('hex');
}

/** Node's headers as the plain string record `standardwebhooks` takes. */
export function headerRecord(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
  );
}
